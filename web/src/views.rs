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
