//! `Category`: a kind of problem with its handler level and limits.

use async_graphql::{Enum, ID, SimpleObject};

use crate::entity::category;
use crate::graphql::ids;

#[derive(SimpleObject, Clone)]
pub struct Category {
    pub id: ID,
    /// 大类 + 小类, e.g. 0505.
    pub code: String,
    pub name: String,
    pub name_en: String,
    /// Who handles it: the lane chief or the street chief.
    pub handler_level: HandlerLevel,
    pub priority: Priority,
    pub dispatch_limit_minutes: i32,
    pub handle_limit_minutes: i32,
    pub verify_limit_minutes: i32,
    /// Whether limits count working time or every minute.
    pub calendar_kind: CalendarKind,
    pub duplicate_radius_meters: f64,
    pub duplicate_window_minutes: i32,
    pub auto_dispatch: bool,
    pub active: bool,
    pub calendar_code: String,
}

impl From<category::Model> for Category {
    fn from(m: category::Model) -> Self {
        Self {
            id: ids::encode("Category", &m.code),
            code: m.code,
            name: m.name,
            name_en: m.name_en,
            handler_level: HandlerLevel::parse(&m.handler_level),
            priority: Priority::parse(&m.priority),
            dispatch_limit_minutes: m.dispatch_limit_minutes,
            handle_limit_minutes: m.handle_limit_minutes,
            verify_limit_minutes: m.verify_limit_minutes,
            calendar_kind: CalendarKind::parse(&m.calendar_kind),
            duplicate_radius_meters: m.duplicate_radius_meters,
            duplicate_window_minutes: m.duplicate_window_minutes,
            auto_dispatch: m.auto_dispatch,
            active: m.active,
            calendar_code: m.calendar_code,
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum HandlerLevel {
    Lane,
    Street,
}

impl HandlerLevel {
    fn parse(s: &str) -> Self {
        if s == "STREET" {
            Self::Street
        } else {
            Self::Lane
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Lane => "LANE",
            Self::Street => "STREET",
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum Priority {
    Urgent,
    Normal,
}

impl Priority {
    fn parse(s: &str) -> Self {
        if s == "URGENT" {
            Self::Urgent
        } else {
            Self::Normal
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Urgent => "URGENT",
            Self::Normal => "NORMAL",
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum CalendarKind {
    /// Only the calendar's working windows count.
    Working,
    /// Every minute counts.
    Natural,
}

impl CalendarKind {
    fn parse(s: &str) -> Self {
        if s == "NATURAL" {
            Self::Natural
        } else {
            Self::Working
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Working => "WORKING",
            Self::Natural => "NATURAL",
        }
    }
}
