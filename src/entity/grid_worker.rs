//! Which grid workers patrol which grid.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "grid_worker")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub grid_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
}

impl ActiveModelBehavior for ActiveModel {}
