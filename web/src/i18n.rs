//! Translations: Norwegian bokmål first, English second. The texts live in
//! `assets/i18n/<locale>/*.ftl` (Fluent), compiled into the binary.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{OnceLock, RwLock};

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid};

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "../assets/i18n",
        fallback_language: "nb",
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static NB: LanguageIdentifier = langid!("nb");

/// How many formatted texts without arguments each language keeps.
const PLAIN_TEXTS_KEPT: usize = 4096;

type TextCache = RwLock<HashMap<Box<str>, Box<str>>>;

/// Formatted texts without arguments, per language (`Lang as usize`).
fn plain_texts() -> &'static [TextCache; 2] {
    static TEXTS: OnceLock<[TextCache; 2]> = OnceLock::new();
    TEXTS.get_or_init(Default::default)
}
static EN: LanguageIdentifier = langid!("en");

/// A page's language; its code is `nb` (`no` is read as `nb` too) or `en`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, strum::IntoStaticStr, strum::EnumString)]
pub enum Lang {
    #[default]
    #[strum(to_string = "nb", serialize = "no")]
    Nb,
    #[strum(serialize = "en")]
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        s.parse().ok()
    }
    pub fn code(self) -> &'static str {
        self.into()
    }
    /// The other language, for the switch.
    pub fn other(self) -> Lang {
        match self {
            Lang::Nb => Lang::En,
            Lang::En => Lang::Nb,
        }
    }
    fn id(self) -> &'static LanguageIdentifier {
        match self {
            Lang::Nb => &NB,
            Lang::En => &EN,
        }
    }

    /// The text for `key`. Texts without arguments are formatted once and
    /// then kept (a public page asks for some thirty of them).
    pub fn t(self, key: &str) -> String {
        let cache = &plain_texts()[self as usize];
        if let Some(text) = cache.read().unwrap_or_else(|e| e.into_inner()).get(key) {
            return text.to_string();
        }
        let text = LOCALES.lookup(self.id(), key);
        let mut cache = cache.write().unwrap_or_else(|e| e.into_inner());
        // Keys come from the code and stored codes, a bounded set; the cap
        // only guards against a key ever built from input.
        if cache.len() < PLAIN_TEXTS_KEPT {
            cache.insert(key.into(), text.as_str().into());
        }
        text
    }

    /// The text for `key` with named arguments.
    pub fn ta(self, key: &str, args: &[(&'static str, String)]) -> String {
        let map: HashMap<Cow<'static, str>, FluentValue> = args
            .iter()
            .map(|(k, v)| (Cow::Borrowed(*k), FluentValue::from(v.clone())))
            .collect();
        LOCALES.lookup_with_args(self.id(), key, &map)
    }

    /// A text with one named argument.
    pub fn t1(self, key: &str, name: &'static str, value: impl ToString) -> String {
        self.ta(key, &[(name, value.to_string())])
    }

    /// A text with two named arguments.
    pub fn t2(
        self,
        key: &str,
        n1: &'static str,
        v1: impl ToString,
        n2: &'static str,
        v2: impl ToString,
    ) -> String {
        self.ta(key, &[(n1, v1.to_string()), (n2, v2.to_string())])
    }

    /// The label of a stored code: `tk("channel", "sms")` is `channel-sms`.
    pub fn tk(self, prefix: &str, code: &str) -> String {
        self.t(&format!("{prefix}-{code}"))
    }

    /// This language's code, for `<html lang>`.
    pub fn lang_code(self) -> &'static str {
        self.code()
    }

    /// The other language's code, for the switch's link.
    pub fn other_lang_code(self) -> &'static str {
        self.other().code()
    }

    /// The other language's name, in that language (the switch's link text).
    pub fn other_lang_name(self) -> String {
        self.other().t("lang-switch-name")
    }

    /// Whether `key` exists in this language (used by tests of the catalogue).
    pub fn has(self, key: &str) -> bool {
        LOCALES.try_lookup(self.id(), key).is_some()
    }
}
