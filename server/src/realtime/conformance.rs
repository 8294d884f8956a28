//! The conformance suite every [`Broker`] must pass: call each check with a fresh broker of the kind under
//! test (the in-process broker runs it in its tests; a Redis or NATS broker must run it too).

use confab_protocol::realtime::ServerFrame;
use std::time::Duration;

use super::broker::{Broker, Received};
use super::Event;

fn numbered(n: usize) -> Event {
    Event::Deliver { app_id: "app".into(), recipients: vec![format!("u{n}")], frame: ServerFrame::Pong }
}

fn number_of(received: Received) -> usize {
    match received {
        Received::Event(event) => match event.as_ref() {
            Event::Deliver { recipients, .. } => recipients[0][1..].parse().expect("a numbered event"),
            other => panic!("unexpected event {other:?}"),
        },
        other => panic!("expected an event, got {other:?}"),
    }
}

async fn next(subscriber: &mut Box<dyn super::broker::Subscriber>) -> Received {
    tokio::time::timeout(Duration::from_secs(5), subscriber.recv()).await.expect("an event within 5 s")
}

/// Every subscriber receives every event.
pub async fn fans_out_to_every_subscriber(broker: &dyn Broker) {
    let mut subscribers: Vec<_> = (0..3).map(|_| broker.subscribe()).collect();
    broker.publish(numbered(7));
    for subscriber in &mut subscribers {
        assert_eq!(number_of(next(subscriber).await), 7);
    }
}

/// Events from one publisher arrive in publish order.
pub async fn keeps_publish_order(broker: &dyn Broker) {
    let mut subscriber = broker.subscribe();
    for n in 0..1000 {
        broker.publish(numbered(n));
    }
    for n in 0..1000 {
        assert_eq!(number_of(next(&mut subscriber).await), n);
    }
}

/// A subscription starts with the events published after it was made.
pub async fn sees_only_events_after_subscribing(broker: &dyn Broker) {
    broker.publish(numbered(1));
    let mut subscriber = broker.subscribe();
    broker.publish(numbered(2));
    assert_eq!(number_of(next(&mut subscriber).await), 2);
}

/// A subscriber more than `capacity` events behind is told it lagged, then continues with newer events.
pub async fn reports_lag_instead_of_growing(broker: &dyn Broker, capacity: usize) {
    let mut subscriber = broker.subscribe();
    for n in 0..capacity * 3 {
        broker.publish(numbered(n));
    }
    match next(&mut subscriber).await {
        Received::Lagged(missed) => assert!(missed > 0),
        other => panic!("expected a lag report, got {other:?}"),
    }
    let after = number_of(next(&mut subscriber).await);
    assert!(after >= capacity, "continues with recent events, got {after}");
}
