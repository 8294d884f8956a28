//! User search: by uid or name, deactivated users included, a page at a time.

use confab_protocol::rest::users::User;
use confab_protocol::rest::Page;
use leptos::prelude::*;

use crate::api;
use crate::components::{loaded, TextField};
use crate::format::query;
use crate::pages::Pager;
use crate::route::{AppPage, Route};

/// Users per page.
const PER_PAGE: u32 = 25;

/// The users page.
#[component]
pub fn UsersPage(app: String) -> impl IntoView {
    let typed = RwSignal::new(String::new());
    let search = RwSignal::new(String::new());
    let page = RwSignal::new(1u32);
    let users = {
        let app = app.clone();
        LocalResource::new(move || {
            let q = query(&[
                ("searchKey", search.get()),
                ("withDeactivated", "true".into()),
                ("perPage", PER_PAGE.to_string()),
                ("page", page.get().to_string()),
            ]);
            let path = api::v3(&app, &format!("/users{q}"));
            async move { api::get_page::<Page<User>>(&path).await }
        })
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        page.set(1);
        search.set(typed.get_untracked().trim().to_owned());
    };
    view! {
        <h1>"Users"</h1>
        <div role="search">
            <form on:submit=submit class="inline-form">
                <TextField label="Search by uid or name" value=typed input_type="search" />
                <button type="submit">"Search"</button>
            </form>
        </div>
        {loaded(users, move |list: Page<User>| {
            let app = app.clone();
            let pagination = list.meta.pagination.clone();
            if list.data.is_empty() {
                return view! { <p>"No user matches."</p> }.into_any();
            }
            view! {
                <div class="table-wrap" tabindex="0" role="region" aria-label="Users">
                    <table>
                        <thead>
                            <tr>
                                <th scope="col">"User"</th>
                                <th scope="col">"Role"</th>
                                <th scope="col">"Status"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {list.data.into_iter().map(|u| {
                                let href = Route::app(&app, AppPage::User(u.uid.clone()));
                                let status = if u.deactivated_at.is_some() { "deactivated".to_owned() } else { u.status.clone() };
                                view! {
                                    <tr>
                                        <td><a href=href>{u.name.clone()}</a><br /><span class="mono small">{u.uid.clone()}</span></td>
                                        <td>{u.role.clone()}</td>
                                        <td>{status}</td>
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
