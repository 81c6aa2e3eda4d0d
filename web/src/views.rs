//! What every page template gets: the language, the CSRF token, the centre.

use crate::domain::catalogue::centre::CentreInfo;
use crate::i18n::Lang;

pub struct PageCtx {
    pub lang: Lang,
    pub csrf: String,
    /// The current path, for the language switch.
    pub path: String,
    pub centre: CentreInfo,
}

/// Page templates call the language's texts directly: `ctx.t("key")`,
/// `ctx.t1(...)`, `ctx.other_lang_code()` (see `Lang`).
impl std::ops::Deref for PageCtx {
    type Target = Lang;
    fn deref(&self) -> &Lang {
        &self.lang
    }
}

impl PageCtx {
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

/// As for `PageCtx`: the texts come from `Lang`.
impl std::ops::Deref for AdminCtx {
    type Target = Lang;
    fn deref(&self) -> &Lang {
        &self.lang
    }
}

impl AdminCtx {
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
