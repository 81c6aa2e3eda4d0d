//! What every page template gets: the language, the CSRF token, the centre.

use crate::domain::centre::CentreInfo;
use crate::i18n::Lang;

pub struct PageCtx {
    pub lang: Lang,
    pub csrf: String,
    /// The current path, for the language switch.
    pub path: String,
    pub centre: CentreInfo,
}

impl PageCtx {
    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }
    /// A text with one named argument.
    pub fn t1(&self, key: &str, name: &'static str, value: impl ToString) -> String {
        self.lang.ta(key, &[(name, value.to_string())])
    }
    /// A text with two named arguments.
    pub fn t2(
        &self,
        key: &str,
        n1: &'static str,
        v1: impl ToString,
        n2: &'static str,
        v2: impl ToString,
    ) -> String {
        self.lang
            .ta(key, &[(n1, v1.to_string()), (n2, v2.to_string())])
    }
    pub fn lang_code(&self) -> &'static str {
        self.lang.code()
    }
    pub fn other_lang_code(&self) -> &'static str {
        self.lang.other().code()
    }
    /// The other language's name, in that language (the switch's link text).
    pub fn other_lang_name(&self) -> String {
        self.lang.other().t("lang-switch-name")
    }
    pub fn is(&self, path: &str) -> bool {
        self.path == path
    }
}

/// What every back-office page gets.
pub struct AdminCtx {
    pub lang: Lang,
    pub csrf: String,
    pub path: String,
    pub me: entity::user::Model,
}

impl AdminCtx {
    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }
    pub fn t1(&self, key: &str, name: &'static str, value: impl ToString) -> String {
        self.lang.ta(key, &[(name, value.to_string())])
    }
    /// A text with two named arguments.
    pub fn t2(
        &self,
        key: &str,
        n1: &'static str,
        v1: impl ToString,
        n2: &'static str,
        v2: impl ToString,
    ) -> String {
        self.lang
            .ta(key, &[(n1, v1.to_string()), (n2, v2.to_string())])
    }
    /// The label of a stored code: `tk("channel", "sms")` is `channel-sms`.
    pub fn tk(&self, prefix: &str, code: &str) -> String {
        self.lang.t(&format!("{prefix}-{code}"))
    }
    pub fn lang_code(&self) -> &'static str {
        self.lang.code()
    }
    pub fn other_lang_code(&self) -> &'static str {
        self.lang.other().code()
    }
    pub fn other_lang_name(&self) -> String {
        self.lang.other().t("lang-switch-name")
    }
    /// The current section, for `aria-current` in the menu.
    pub fn is(&self, prefix: &str) -> bool {
        self.path.starts_with(prefix)
    }
    pub fn is_admin(&self) -> bool {
        self.me.role == entity::enums::Role::Admin
    }
    pub fn is_manager(&self) -> bool {
        self.me.role >= entity::enums::Role::Manager
    }
    /// An Oslo date and time.
    pub fn when(&self, t: &chrono::DateTime<chrono::Utc>) -> String {
        crate::domain::time::oslo_datetime(*t, self.lang)
    }
}

/// Field → translation key of what is wrong, for back-office forms.
#[derive(Clone, Debug, Default)]
pub struct Errs(pub Vec<(&'static str, &'static str)>);

impl Errs {
    pub fn has(&self, field: &str) -> bool {
        self.0.iter().any(|(f, _)| *f == field)
    }
    pub fn key(&self, field: &str) -> &'static str {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, k)| *k)
            .unwrap_or("")
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
