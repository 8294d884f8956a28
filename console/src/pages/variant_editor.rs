//! The variant editor: a form for every setting Confab knows (style, layout, feature switches, the docked
//! launcher, texts per language) beside the live preview, saving, and "make default". The settings are
//! edited in place as JSON ([`crate::settings`]), so keys the form does not know are saved back unchanged.

use leptos::prelude::*;
use serde_json::{json, Value};

use crate::api::{self, ApiError};
use crate::components::form::next_id;
use crate::components::{loaded, run, Busy, ErrorBox, Notice, Submit, TextField};
use crate::pages::preview::Preview;
use crate::pages::variants::make_default;
use crate::route::{AppPage, Route};
use crate::settings::{
    self, add_language, check, check_value, extra_text_keys, get_bool, get_str, languages, other_switches, remove_language,
    set, set_str, set_tab, six_digit, tabs, Kind, Setting, CUSTOM_CODE, FEATURES, LAYOUT, NO_CODE, STYLE, TABS,
    TEXT_KEYS,
};
use confab_protocol::rest::variants::Variant;

/// The editor page of variant `id`.
#[component]
pub fn VariantEditorPage(app: String, id: String) -> impl IntoView {
    let path = api::v3(&app, &format!("/variants/{}", api::seg(&id)));
    let variant = {
        let path = path.clone();
        LocalResource::new(move || {
            let path = path.clone();
            async move { api::get::<Variant>(&path).await }
        })
    };
    let back = Route::app(&app, AppPage::Variants);
    view! {
        <p class="crumbs"><a href=back>"Variants"</a></p>
        {loaded(variant, move |v| view! { <Editor app=app.clone() path=path.clone() variant=v /> })}
    }
}

#[component]
fn Editor(app: String, path: String, variant: Variant) -> impl IntoView {
    let name = RwSignal::new(variant.name.clone());
    let settings = RwSignal::new(if variant.settings.is_object() { variant.settings.clone() } else { json!({}) });
    let saved = RwSignal::new((variant.name.clone(), settings.get_untracked()));
    let is_default = RwSignal::new(variant.is_default);
    let state = Busy::new();
    let done = RwSignal::new(None::<String>);
    let problems = RwSignal::new(Vec::<(String, String)>::new());
    let dirty = Memo::new(move |_| saved.with(|(n, s)| name.with(|name| name != n) || settings.with(|now| now != s)));

    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        done.set(None);
        let found = settings.with_untracked(check);
        if let Some((field, message)) = found.first().cloned() {
            problems.set(found);
            state.error.set(Some(ApiError::invalid(field, message)));
            return;
        }
        problems.set(Vec::new());
        let body = json!({ "name": name.get_untracked().trim(), "settings": settings.get_untracked() });
        let path = path.clone();
        run(state, async move { api::put::<Variant>(&path, &body).await }, move |v| {
            let now = if v.settings.is_object() { v.settings } else { json!({}) };
            saved.set((v.name.clone(), now.clone()));
            name.set(v.name);
            settings.set(now);
            is_default.set(v.is_default);
            done.set(Some("Saved. Pages with this variant show it from their next load.".into()));
        });
    };
    let default_state = Busy::new();
    let set_default = {
        let app = app.clone();
        let id = variant.id.clone();
        move |_| {
            let (app, id) = (app.clone(), id.clone());
            run(default_state, async move { make_default(&app, &id).await }, move |v| {
                is_default.set(v.is_default);
                done.set(Some("This variant is now the app's default.".into()));
            });
        }
    };
    let reset = move |_| {
        let (n, s) = saved.get_untracked();
        name.set(n);
        settings.set(s);
        problems.set(Vec::new());
        state.error.set(None);
    };
    let langs = Memo::new(move |_| settings.with(languages));

    view! {
        <h1>"Variant " {move || name.get()}</h1>
        <p class="muted">
            "variantID " <code>{variant.id.clone()}</code>
            {move || if is_default.get() { " · the app's default" } else { "" }}
        </p>
        <div class="editor">
            <form class="editor-form" on:submit=save novalidate aria-label="Variant settings">
                <TextField label="Name" value=name required=true maxlength=100 error=state.field_error("name") />
                <Section title="Style">
                    {STYLE.iter().map(|s| view! { <SettingControl setting=*s settings=settings error=state.error /> }).collect_view()}
                </Section>
                <Section title="Layout">
                    <Tabs settings=settings />
                    {LAYOUT.iter().map(|s| view! { <SettingControl setting=*s settings=settings error=state.error /> }).collect_view()}
                </Section>
                <Section title="Chat features">
                    <p class="help">
                        "The switches Confab honours. Those marked \u{201c}enforced\u{201d} are also refused by the server for "
                        "this variant's visitors, not just hidden."
                    </p>
                    {FEATURES.iter().map(|s| view! { <SettingControl setting=*s settings=settings error=state.error /> }).collect_view()}
                    <OtherSwitches settings=settings />
                </Section>
                <Section title="Docked launcher">
                    {NO_CODE.iter().map(|s| view! { <SettingControl setting=*s settings=settings error=state.error /> }).collect_view()}
                </Section>
                <Section title="Texts">
                    <Texts settings=settings langs=langs error=state.error />
                </Section>
                <CustomCode settings=settings />
                <div class="save-bar">
                    {move || (!problems.get().is_empty()).then(|| view! {
                        <ul class="problems" aria-label="Problems to fix">
                            {problems.get().into_iter().map(|(field, message)| view! { <li>{message}" ("<code>{field}</code>")"</li> }).collect_view()}
                        </ul>
                    })}
                    <ErrorBox error=state.error />
                    <ErrorBox error=default_state.error />
                    <Notice message=done />
                    <p class="muted small" aria-live="polite">{move || if dirty.get() { "Unsaved changes" } else { "All changes saved" }}</p>
                    <div class="actions">
                        <Submit label="Save" busy=state.busy />
                        <button type="button" on:click=reset disabled=move || !dirty.get()>"Undo changes"</button>
                        {move || (!is_default.get()).then(|| view! {
                            <button type="button" on:click=set_default.clone() disabled=move || default_state.busy.get()>"Make default"</button>
                        })}
                    </div>
                </div>
            </form>
            <Preview app=app settings=settings langs=langs />
        </div>
    }
}

/// A titled group of controls.
#[component]
fn Section(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <fieldset class="group">
            <legend>{title}</legend>
            {children()}
        </fieldset>
    }
}

/// The error line of a setting: the browser's check of the value, else the server's error about it.
fn problem_of(kind: Kind, value: &str, field: &str, error: Option<ApiError>) -> Option<String> {
    check_value(kind, value).or_else(|| error.filter(|e| e.about(field)).map(|e| e.message))
}

/// One setting's control.
#[component]
fn SettingControl(setting: Setting, settings: RwSignal<Value>, error: RwSignal<Option<ApiError>>) -> impl IntoView {
    let path = setting.path;
    let id = next_id("setting");
    let error_id = format!("{id}-error");
    let field = setting.field();
    let text = move || settings.with(|s| get_str(s, path));
    let problem = Memo::new(move |_| problem_of(setting.kind, &text(), &field, error.get()));
    let write = move |value: String| settings.update(|s| set_str(s, path, &value));
    let described = {
        let error_id = error_id.clone();
        move || problem.get().map(|_| error_id.clone())
    };
    let invalid = move || problem.get().map(|_| "true");
    let error_line = move || problem.get().map(|p| view! { <p class="field-error" id=error_id.clone()>{p}</p> });
    let enforced = settings::is_enforced(path);

    match setting.kind {
        Kind::Switch(default) => view! {
            <div class="field check">
                <input
                    type="checkbox"
                    id=id.clone()
                    prop:checked=move || settings.with(|s| get_bool(s, path, default))
                    on:change=move |ev| settings.update(|s| set(s, path, Some(Value::Bool(event_target_checked(&ev)))))
                />
                <label for=id>{setting.label}{enforced.then_some(view! { <span class="badge">"enforced"</span> })}</label>
                {error_line}
            </div>
        }
        .into_any(),
        Kind::Choice(values) => {
            let choices = std::iter::once((String::new(), format!("Default ({})", setting.default)))
                .chain(values.iter().map(|v| ((*v).to_owned(), (*v).to_owned())))
                .collect::<Vec<_>>();
            view! {
                <div class="field">
                    <label for=id.clone()>{setting.label}</label>
                    <select id=id aria-invalid=invalid aria-describedby=described on:change=move |ev| write(event_target_value(&ev))>
                        {choices
                            .into_iter()
                            .map(|(value, label)| {
                                let v = value.clone();
                                view! { <option value=value prop:selected=move || text() == v>{label}</option> }
                            })
                            .collect_view()}
                    </select>
                    {error_line}
                </div>
            }
            .into_any()
        }
        Kind::Color => {
            let picker_label = format!("{}: colour picker", setting.label);
            view! {
                <div class="field">
                    <label for=id.clone()>{setting.label}</label>
                    <div class="color-row">
                        <input
                            type="color"
                            aria-label=picker_label
                            prop:value=move || {
                                let now = text();
                                six_digit(if settings::is_hex_color(&now) { &now } else { setting.default })
                            }
                            on:input=move |ev| write(event_target_value(&ev))
                        />
                        <input
                            type="text"
                            id=id
                            class="mono"
                            placeholder=setting.default
                            spellcheck="false"
                            aria-invalid=invalid
                            aria-describedby=described
                            prop:value=text
                            on:input=move |ev| write(event_target_value(&ev))
                        />
                    </div>
                    {error_line}
                </div>
            }
            .into_any()
        }
        Kind::Font | Kind::Icon => {
            let (input_type, placeholder) = match setting.kind {
                Kind::Icon => ("url", "https://… or data:image/…"),
                _ => ("text", setting.default),
            };
            view! {
                <div class="field">
                    <label for=id.clone()>{setting.label}</label>
                    <input
                        type=input_type
                        id=id
                        placeholder=placeholder
                        aria-invalid=invalid
                        aria-describedby=described
                        prop:value=text
                        on:input=move |ev| write(event_target_value(&ev))
                    />
                    {error_line}
                </div>
            }
            .into_any()
        }
    }
}

/// `layout.tabs` as checkboxes.
#[component]
fn Tabs(settings: RwSignal<Value>) -> impl IntoView {
    view! {
        <fieldset class="sub">
            <legend>"Lists offered (tabs)"</legend>
            <p class="help">"Confab's panel offers users and groups; chats and calls are kept for the reference widget."</p>
            {TABS
                .iter()
                .map(|tab| {
                    let id = next_id("tab");
                    view! {
                        <div class="field check">
                            <input
                                type="checkbox"
                                id=id.clone()
                                prop:checked=move || settings.with(|s| tabs(s).iter().any(|t| t == tab))
                                on:change=move |ev| settings.update(|s| set_tab(s, tab, event_target_checked(&ev)))
                            />
                            <label for=id>{*tab}</label>
                        </div>
                    }
                })
                .collect_view()}
        </fieldset>
    }
}

/// The switches of the variant Confab has no feature for.
#[component]
fn OtherSwitches(settings: RwSignal<Value>) -> impl IntoView {
    let others = Memo::new(move |_| settings.with(other_switches));
    move || {
        let list = others.get();
        (!list.is_empty()).then(|| view! {
            <details class="others">
                <summary>{format!("{} more switches, kept but without effect in Confab", list.len())}</summary>
                <ul>
                    {list.into_iter().map(|(name, value)| view! { <li><code>{name}</code>": "{value.to_string()}</li> }).collect_view()}
                </ul>
            </details>
        })
    }
}

/// Texts per language, and adding a language.
#[component]
fn Texts(settings: RwSignal<Value>, langs: Memo<Vec<String>>, error: RwSignal<Option<ApiError>>) -> impl IntoView {
    let new_tag = RwSignal::new(String::new());
    let add_problem = RwSignal::new(None::<String>);
    let add = move || {
        let tag = new_tag.get_untracked();
        let mut outcome = Ok(());
        settings.update(|s| outcome = add_language(s, &tag));
        match outcome {
            Ok(()) => {
                new_tag.set(String::new());
                add_problem.set(None);
            }
            Err(why) => add_problem.set(Some(why)),
        }
    };
    let add_id = next_id("lang");
    let add_error_id = format!("{add_id}-error");
    let add_error_shown = add_error_id.clone();
    view! {
        <p class="help">
            "Confab's own texts, per language (a tag such as de, fr-CA or pt-BR). An empty field keeps the panel's built-in text."
        </p>
        <For
            each=move || langs.get()
            key=|tag| tag.clone()
            children=move |tag| view! { <LanguageTexts tag=tag settings=settings error=error /> }
        />
        <div class="field add-language">
            <label for=add_id.clone()>"Add a language"</label>
            <div class="inline">
                <input
                    id=add_id
                    type="text"
                    placeholder="de"
                    aria-invalid=move || add_problem.get().map(|_| "true")
                    aria-describedby=move || add_problem.get().map(|_| add_error_id.clone())
                    prop:value=move || new_tag.get()
                    on:input=move |ev| new_tag.set(event_target_value(&ev))
                    on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                        if ev.key() == "Enter" {
                            ev.prevent_default();
                            add();
                        }
                    }
                />
                <button type="button" on:click=move |_| add()>"Add language"</button>
            </div>
            {move || add_problem.get().map(|p| view! { <p class="field-error" id=add_error_shown.clone()>{p}</p> })}
        </div>
    }
}

/// The texts of one language.
#[component]
fn LanguageTexts(tag: String, settings: RwSignal<Value>, error: RwSignal<Option<ApiError>>) -> impl IntoView {
    let extra = {
        let tag = tag.clone();
        Memo::new(move |_| settings.with(|s| extra_text_keys(s, &tag)))
    };
    let new_key = RwSignal::new(String::new());
    let remove = {
        let tag = tag.clone();
        move |_| settings.update(|s| remove_language(s, &tag))
    };
    let add_key = {
        let tag = tag.clone();
        move |_| {
            let key = new_key.get_untracked().trim().to_owned();
            if key.is_empty() {
                return;
            }
            settings.update(|s| {
                if settings::get(s, &["texts", &tag, &key]).is_none() {
                    set(s, &["texts", &tag, &key], Some(Value::String(String::new())));
                }
            });
            new_key.set(String::new());
        }
    };
    let known = TEXT_KEYS.iter().map(|(key, label)| (key.to_string(), label.to_string())).collect::<Vec<_>>();
    let tag_label = tag.clone();
    let key_id = next_id("textkey");
    view! {
        <fieldset class="sub language" lang=tag.clone()>
            <legend>{format!("Texts in {tag_label}")}</legend>
            {known.into_iter().map(|(key, label)| view! { <TextSetting tag=tag.clone() key=key label=label settings=settings error=error /> }).collect_view()}
            <For
                each=move || extra.get()
                key=|k| k.clone()
                children={
                    let tag = tag.clone();
                    move |key: String| {
                        let label = format!("Catalog text \u{201c}{key}\u{201d}");
                        view! { <TextSetting tag=tag.clone() key=key label=label settings=settings error=error /> }
                    }
                }
            />
            <div class="field">
                <label for=key_id.clone()>"Override another catalog text (its key)"</label>
                <div class="inline">
                    <input id=key_id type="text" placeholder="send" prop:value=move || new_key.get() on:input=move |ev| new_key.set(event_target_value(&ev)) />
                    <button type="button" on:click=add_key>"Add text"</button>
                </div>
            </div>
            <button type="button" class="danger" on:click=remove>{format!("Remove the {tag_label} texts")}</button>
        </fieldset>
    }
}

/// One text of one language.
#[component]
fn TextSetting(tag: String, key: String, label: String, settings: RwSignal<Value>, error: RwSignal<Option<ApiError>>) -> impl IntoView {
    let id = next_id("text");
    let error_id = format!("{id}-error");
    let field = settings::field_of(&["texts", &tag, &key]);
    let (t1, k1, t2, k2) = (tag.clone(), key.clone(), tag.clone(), key.clone());
    let text = move || settings.with(|s| get_str(s, &["texts", &t1, &k1]));
    let measured = text.clone();
    let problem = Memo::new(move |_| {
        let long = measured().chars().count() > settings::MAX_TEXT_CHARS;
        if long {
            Some(format!("must be at most {} characters", settings::MAX_TEXT_CHARS))
        } else {
            error.get().filter(|e| e.about(&field)).map(|e| e.message)
        }
    });
    let described = {
        let error_id = error_id.clone();
        move || problem.get().map(|_| error_id.clone())
    };
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input
                id=id
                type="text"
                maxlength=settings::MAX_TEXT_CHARS.to_string()
                aria-invalid=move || problem.get().map(|_| "true")
                aria-describedby=described
                prop:value=text
                on:input=move |ev| settings.update(|s| set_str(s, &["texts", &t2, &k2], &event_target_value(&ev)))
            />
            {move || problem.get().map(|p| view! { <p class="field-error" id=error_id.clone()>{p}</p> })}
        </div>
    }
}

/// Custom JavaScript and CSS: kept, shown, never run. The note says why.
#[component]
fn CustomCode(settings: RwSignal<Value>) -> impl IntoView {
    view! {
        <fieldset class="group custom-code">
            <legend>"Custom JavaScript and CSS"</legend>
            <p class="note" id="custom-code-note">
                <strong>"Never executed or injected. "</strong>
                "The reference builder lets a variant carry custom JavaScript and CSS that its widget adds to every page it runs on. "
                "Confab keeps these two settings so an exported variant comes back unchanged, but never runs the script or adds the "
                "styles anywhere: they would run a third party's code on every visitor's page, with access to everything on it. "
                "Style the widget with the settings above; style your own page in your own stylesheet."
            </p>
            {CUSTOM_CODE
                .iter()
                .map(|(path, label)| {
                    let id = next_id("custom");
                    view! {
                        <div class="field">
                            <label for=id.clone()>{format!("{label} (kept, never run)")}</label>
                            <textarea
                                id=id
                                readonly
                                rows="3"
                                class="mono"
                                aria-describedby="custom-code-note"
                                prop:value=move || settings.with(|s| get_str(s, path))
                            ></textarea>
                        </div>
                    }
                })
                .collect_view()}
        </fieldset>
    }
}
