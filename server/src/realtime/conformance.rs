//! The conformance suite every [`Broker`] must pass: call each check with a fresh broker of the kind under
//! test (the in-process broker runs it in its tests; the Redis broker runs it against a real Redis). The
//! checks that take two brokers take two nodes of one cluster (the same broker twice for a single-node
//! broker). Brokers may deliver asynchronously: no check assumes an event is there the moment `publish`
//! returns, only that it comes (within 5 s).

use confab_protocol::realtime::{PresenceStatus, ServerFrame, TypingState};
use confab_protocol::rest::messages::ReceiverType;
use std::time::{Duration, Instant};

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
    let mut barrier = broker.subscribe();
    let last = capacity * 3 - 1;
    for n in 0..=last {
        broker.publish(numbered(n));
    }
    // Once a second subscriber has the last event, the broker has handed out every one of them (it may do so
    // asynchronously), so the first subscriber, which read none, is behind.
    loop {
        let received = next(&mut barrier).await;
        if !matches!(received, Received::Lagged(_)) && number_of(received) == last {
            break;
        }
    }
    match next(&mut subscriber).await {
        Received::Lagged(missed) => assert!(missed > 0),
        other => panic!("expected a lag report, got {other:?}"),
    }
    let after = number_of(next(&mut subscriber).await);
    assert!(after >= capacity, "continues with recent events, got {after}");
}

/// Every kind of event arrives as it was published.
pub async fn carries_events_intact(broker: &dyn Broker) {
    let mut subscriber = broker.subscribe();
    let events = [
        Event::Deliver {
            app_id: "app-1".into(),
            recipients: vec!["ann".into(), "bob".into()],
            frame: ServerFrame::Typing {
                sender: "ann".into(),
                receiver: "team-\u{e9}".into(),
                receiver_type: ReceiverType::Group,
                state: TypingState::Started,
            },
        },
        Event::Deliver {
            app_id: "app-1".into(),
            recipients: vec!["bob".into()],
            frame: ServerFrame::Presence { uid: "ann".into(), status: PresenceStatus::Offline, last_active_at: 1_700_000_000 },
        },
        Event::Revoke { app_id: "app-1".into(), uid: "ann".into(), token_prefix: Some(vec![0, 1, 254, 255]) },
        Event::Revoke { app_id: "app-1".into(), uid: "ann".into(), token_prefix: None },
    ];
    for event in &events {
        broker.publish(event.clone());
    }
    for event in &events {
        match next(&mut subscriber).await {
            Received::Event(received) => assert_eq!(received.as_ref(), event),
            other => panic!("expected {event:?}, got {other:?}"),
        }
    }
}

/// Publishing never waits for subscribers: a flood that nobody reads is published at once, and the broker
/// works on after it (a subscriber hears of what it missed, then gets what comes next).
pub async fn never_blocks_the_publisher(broker: &dyn Broker, flood: usize) {
    let mut subscriber = broker.subscribe();
    let started = Instant::now();
    for n in 0..flood {
        broker.publish(numbered(n));
    }
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "publishing {flood} events took {took:?}");
    let marker = flood + 1;
    // Retried: a broker that dropped part of the flood (it never blocks) may drop a marker sent right after.
    let mut published = Instant::now();
    broker.publish(numbered(marker));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        assert!(Instant::now() < deadline, "the broker did not recover after a flood");
        match tokio::time::timeout(Duration::from_millis(500), subscriber.recv()).await {
            Ok(Received::Event(event)) if matches!(event.as_ref(), Event::Deliver { recipients, .. } if recipients[0] == format!("u{marker}")) => break,
            Ok(Received::Closed) => panic!("the broker closed"),
            Ok(_) => continue,
            Err(_) if published.elapsed() > Duration::from_secs(1) => {
                broker.publish(numbered(marker));
                published = Instant::now();
            }
            Err(_) => continue,
        }
    }
}

/// An event published on one node reaches the subscribers of every node, in publish order.
pub async fn fans_out_across_nodes(a: &dyn Broker, b: &dyn Broker) {
    let mut on_a = a.subscribe();
    let mut on_b = b.subscribe();
    for n in 0..100 {
        a.publish(numbered(n));
    }
    for n in 0..100 {
        assert_eq!(number_of(next(&mut on_b).await), n);
        assert_eq!(number_of(next(&mut on_a).await), n);
    }
    b.publish(numbered(500));
    assert_eq!(number_of(next(&mut on_a).await), 500);
    assert_eq!(number_of(next(&mut on_b).await), 500);
}
