//! The jurisdiction nodes a user belongs to; everything below them is in scope.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_scope")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub jurisdiction_id: i64,
}

impl ActiveModelBehavior for ActiveModel {}
