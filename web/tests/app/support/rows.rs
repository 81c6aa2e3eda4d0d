//! The rows tests look up after acting: a case by its reference or id, the
//! one case a test made, a staff user by e-mail.

use entity::{case, user};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use super::TestApp;

/// A case, named by its id or by its reference.
#[derive(Clone, Copy, Debug)]
pub enum CaseKey<'a> {
    Id(i32),
    Reference(&'a str),
}

impl From<i32> for CaseKey<'_> {
    fn from(id: i32) -> Self {
        CaseKey::Id(id)
    }
}

impl<'a> From<&'a str> for CaseKey<'a> {
    fn from(reference: &'a str) -> Self {
        CaseKey::Reference(reference)
    }
}

impl<'a> From<&'a String> for CaseKey<'a> {
    fn from(reference: &'a String) -> Self {
        CaseKey::Reference(reference)
    }
}

/// The case with this reference; panics when there is none.
pub async fn case_of(app: &TestApp, reference: &str) -> case::Model {
    case::Entity::find()
        .filter(case::Column::Reference.eq(reference))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
}

/// The only case in the database; panics unless there is exactly one.
pub async fn only_case(app: &TestApp) -> case::Model {
    let all = case::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(all.len(), 1, "exactly one case");
    all.into_iter().next().unwrap()
}

/// Whether the case (by id or by reference) is still in the database.
pub async fn exists<'a>(app: &TestApp, case: impl Into<CaseKey<'a>>) -> bool {
    let query = match case.into() {
        CaseKey::Id(id) => case::Entity::find_by_id(id),
        CaseKey::Reference(r) => case::Entity::find().filter(case::Column::Reference.eq(r)),
    };
    query.count(&app.db).await.unwrap() == 1
}

/// The staff user with this e-mail address; panics when there is none.
pub async fn user(app: &TestApp, email: &str) -> user::Model {
    user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(&app.db)
        .await
        .unwrap()
        .expect("user")
}
