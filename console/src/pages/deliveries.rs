//! The delivery log of bot and webhook calls, by state (failed first), optionally of one bot or webhook:
//! attempts, last status and error, and a retry button for failed ones.

use confab_protocol::rest::webhooks::{Delivery, DeliveryState};
use confab_protocol::rest::Page;
use leptos::prelude::*;

use crate::api;
use crate::components::{loaded, run, Busy, ErrorBox, Notice, SelectField};
use crate::format::{query, utc_ms};
use crate::pages::Pager;
use crate::route::{AppPage, Route};

const PER_PAGE: u32 = 50;

/// The deliveries page.
#[component]
pub fn DeliveriesPage(app: String, target: Option<String>) -> impl IntoView {
    let state_filter = RwSignal::new(DeliveryState::Failed.as_str().to_owned());
    let page = RwSignal::new(1u32);
    Effect::new(move |_| {
        state_filter.track();
        page.set(1);
    });
    let list = {
        let (app, target) = (app.clone(), target.clone());
        LocalResource::new(move || {
            let q = query(&[
                ("state", state_filter.get()),
                ("target", target.clone().unwrap_or_default()),
                ("perPage", PER_PAGE.to_string()),
                ("page", page.get().to_string()),
            ]);
            let path = api::v3(&app, &format!("/deliveries{q}"));
            async move { api::get_page::<Page<Delivery>>(&path).await }
        })
    };
    let retry_state = Busy::new();
    let done = RwSignal::new(None::<String>);
    let retry = {
        let app = app.clone();
        move |id: String| {
            let path = api::v3(&app, &format!("/deliveries/{}/retry", api::seg(&id)));
            run(retry_state, async move { api::post::<Delivery>(&path, &serde_json::json!({})).await }, move |d| {
                done.set(Some(format!("Delivery {} is queued again.", d.id)));
                list.refetch();
            });
        }
    };
    let states = [DeliveryState::Failed, DeliveryState::Pending, DeliveryState::Delivered]
        .map(|s| (s.as_str().to_owned(), s.as_str().to_owned()))
        .to_vec();
    let heading = match &target {
        Some(t) => format!("Deliveries to {t}"),
        None => "Deliveries".to_owned(),
    };
    let everything = target.as_ref().map(|_| Route::app(&app, AppPage::Deliveries(None)));

    view! {
        <h1>{heading}</h1>
        {everything.map(|href| view! { <p><a href=href>"All bots and webhooks"</a></p> })}
        <SelectField label="State" value=state_filter options=states />
        <ErrorBox error=retry_state.error />
        <Notice message=done />
        {loaded(list, move |found: Page<Delivery>| {
            if found.data.is_empty() {
                return view! { <p>"No delivery in this state."</p> }.into_any();
            }
            let retry = retry.clone();
            let pagination = found.meta.pagination.clone();
            view! {
                <div class="table-wrap" tabindex="0" role="region" aria-label="Deliveries">
                    <table>
                        <thead>
                            <tr>
                                <th scope="col">"To"</th>
                                <th scope="col">"Event"</th>
                                <th scope="col">"Attempts"</th>
                                <th scope="col">"Last answer"</th>
                                <th scope="col">"Queued"</th>
                                <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                            </tr>
                        </thead>
                        <tbody>
                            {found.data.into_iter().map(|d| {
                                let retry = retry.clone();
                                let id = d.id.clone();
                                let answer = match (d.last_status, d.last_error.clone()) {
                                    (Some(status), Some(error)) => format!("HTTP {status}: {error}"),
                                    (Some(status), None) => format!("HTTP {status}"),
                                    (None, Some(error)) => error,
                                    (None, None) => "—".into(),
                                };
                                let failed = d.state == DeliveryState::Failed;
                                view! {
                                    <tr>
                                        <td>{format!("{} {}", d.target_type.as_str(), d.target)}</td>
                                        <td class="mono">{d.trigger.clone()}</td>
                                        <td>{d.attempts}</td>
                                        <td class="wrap">{answer}</td>
                                        <td>{utc_ms(d.created_at)}</td>
                                        <td>
                                            {failed.then(|| view! {
                                                <button type="button" on:click=move |_| retry(id.clone())>
                                                    "Retry" <span class="visually-hidden">{format!(" delivery {}", d.id)}</span>
                                                </button>
                                            })}
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
                <Pager pagination=pagination page=page />
            }
            .into_any()
        })}
    }
}
