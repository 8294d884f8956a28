//! An app's variants (saved widget configurations): the list, the default, creating and deleting one.

use confab_protocol::rest::Page;
use leptos::prelude::*;
use serde_json::json;

use crate::api;
use crate::components::{confirm, loaded, run, Busy, ErrorBox, Notice, Submit, TextField};
use crate::format::utc;
use crate::route::{AppPage, Route};
use crate::state::navigate;
use confab_protocol::rest::variants::Variant;

/// Makes variant `id` the app's default.
pub async fn make_default(app: &str, id: &str) -> Result<Variant, api::ApiError> {
    api::put::<Variant>(&api::v3(app, &format!("/variants/{}", api::seg(id))), &json!({ "isDefault": true })).await
}

/// The variants page.
#[component]
pub fn VariantsPage(app: String) -> impl IntoView {
    let list_path = api::v3(&app, "/variants?perPage=100");
    let variants = LocalResource::new(move || {
        let path = list_path.clone();
        async move { api::get_page::<Page<Variant>>(&path).await.map(|p| p.data) }
    });
    let name = RwSignal::new(String::new());
    let create = Busy::new();
    let submit = {
        let app = app.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let body = json!({ "name": name.get_untracked().trim(), "settings": {} });
            let app = app.clone();
            let path = api::v3(&app, "/variants");
            run(create, async move { api::post::<Variant>(&path, &body).await }, move |v| {
                navigate(&Route::app(&app, AppPage::Variant(v.id)));
            });
        }
    };
    let action = Busy::new();
    let done = RwSignal::new(None::<String>);
    let set_default = {
        let app = app.clone();
        move |v: Variant| {
            let app = app.clone();
            run(action, async move { make_default(&app, &v.id).await }, move |v| {
                done.set(Some(format!("\u{201c}{}\u{201d} is now the default.", v.name)));
                variants.refetch();
            });
        }
    };
    let remove = {
        let app = app.clone();
        move |v: Variant| {
            if !confirm(&format!("Delete the variant \u{201c}{}\u{201d}? Pages that name it get the default instead.", v.name)) {
                return;
            }
            let path = api::v3(&app, &format!("/variants/{}", api::seg(&v.id)));
            run(action, async move { api::delete(&path, None).await }, move |_| {
                done.set(Some(format!("\u{201c}{}\u{201d} is deleted.", v.name)));
                variants.refetch();
            });
        }
    };

    view! {
        <h1>"Variants"</h1>
        <p>
            "A variant is a saved look and feature set of the widget. A page picks one with the snippet's "
            <code>"variantID"</code> "; pages without one get the default. Keys the snippet sets itself win over the variant."
        </p>
        <section aria-labelledby="variants-list">
            <h2 id="variants-list">"Variants of this app"</h2>
            <ErrorBox error=action.error />
            <Notice message=done />
            {loaded(variants, move |list: Vec<Variant>| {
                if list.is_empty() {
                    return view! { <p>"No variant yet: the widget uses its built-in look. Create one below."</p> }.into_any();
                }
                let app = app.clone();
                let set_default = set_default.clone();
                let remove = remove.clone();
                view! {
                    <ul class="cards">
                        {list
                            .into_iter()
                            .map(|v| {
                                let edit = Route::app(&app, AppPage::Variant(v.id.clone()));
                                let (d, r) = (set_default.clone(), remove.clone());
                                let (vd, vr) = (v.clone(), v.clone());
                                let is_default = v.is_default;
                                view! {
                                    <li class="card">
                                        <h3>
                                            <a href=edit>{v.name.clone()}</a>
                                            {is_default.then(|| view! { <span class="badge">"Default"</span> })}
                                        </h3>
                                        <dl class="facts">
                                            <dt>"variantID"</dt>
                                            <dd class="mono">{v.id.clone()}</dd>
                                            <dt>"Changed"</dt>
                                            <dd>{utc(v.updated_at)}</dd>
                                        </dl>
                                        <div class="actions">
                                            {(!is_default).then(|| view! {
                                                <button type="button" on:click=move |_| d(vd.clone())>
                                                    "Make default" <span class="visually-hidden">{format!(": {}", v.name)}</span>
                                                </button>
                                            })}
                                            <button type="button" class="danger" on:click=move |_| r(vr.clone())>
                                                "Delete" <span class="visually-hidden">{format!(" {}", v.name)}</span>
                                            </button>
                                        </div>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            })}
        </section>
        <section aria-labelledby="variants-create">
            <h2 id="variants-create">"Create a variant"</h2>
            <form on:submit=submit novalidate>
                <TextField label="Name" value=name required=true maxlength=100 error=create.field_error("name") />
                <ErrorBox error=create.error />
                <Submit label="Create and edit" busy=create.busy />
            </form>
        </section>
    }
}
