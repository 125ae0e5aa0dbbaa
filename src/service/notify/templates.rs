//! Mail text: plain text with an HTML alternative, Chinese by default, English by user setting.
//! Pure functions of what they are given, so they are unit-tested without a database.

use std::fmt::Write;

use crate::domain::notification::Kind;

/// Language of a mail, from `app_user.locale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    /// `en` selects English; anything else is Chinese, the default.
    pub fn of(locale: &str) -> Lang {
        if locale.trim().eq_ignore_ascii_case("en") {
            Lang::En
        } else {
            Lang::Zh
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }
}

/// A rendered mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// What a ticket mail says about the ticket, already formatted.
#[derive(Debug, Clone, Default)]
pub struct TicketFacts {
    pub number: String,
    pub category_zh: String,
    pub category_en: String,
    /// Grid, street and lane names, outermost first.
    pub places: Vec<String>,
    pub address: Option<String>,
    pub description: String,
    /// The handle deadline in local time, e.g. `2026-11-30 11:00 (Asia/Shanghai)`.
    pub deadline: Option<String>,
    pub escalation_level: i32,
    /// Who returned the ticket (RETURNED only).
    pub returned_by: Option<String>,
    pub link: String,
}

fn label(kind: Kind, lang: Lang) -> &'static str {
    match (kind, lang) {
        (Kind::Dispatched, Lang::Zh) => "新派遣",
        (Kind::Dispatched, Lang::En) => "Dispatched to you",
        (Kind::Returned, Lang::Zh) => "案件退回",
        (Kind::Returned, Lang::En) => "Returned",
        (Kind::Resolved, Lang::Zh) => "待核查",
        (Kind::Resolved, Lang::En) => "To verify",
        (Kind::Closed, Lang::Zh) => "已结案",
        (Kind::Closed, Lang::En) => "Closed",
        (Kind::ExtensionRequested, Lang::Zh) => "延期申请",
        (Kind::ExtensionRequested, Lang::En) => "Extension requested",
        (Kind::Supervised, Lang::Zh) => "督办",
        (Kind::Supervised, Lang::En) => "Under supervision",
        (Kind::SlaWarning, Lang::Zh) => "即将超期",
        (Kind::SlaWarning, Lang::En) => "Due soon",
        (Kind::SlaOverdue, Lang::Zh) => "已超期",
        (Kind::SlaOverdue, Lang::En) => "Overdue",
        (Kind::Escalated, Lang::Zh) => "超期升级",
        (Kind::Escalated, Lang::En) => "Escalated",
        (Kind::DailyDigest, Lang::Zh) => "每日简报",
        (Kind::DailyDigest, Lang::En) => "Daily digest",
    }
}

fn headline(kind: Kind, lang: Lang, f: &TicketFacts) -> String {
    let level = f.escalation_level;
    match (kind, lang) {
        (Kind::Dispatched, Lang::Zh) => "您有一件新派遣的案件，请及时处置。".into(),
        (Kind::Dispatched, Lang::En) => {
            "A ticket has been dispatched to you. Please handle it in time.".into()
        }
        (Kind::Returned, Lang::Zh) => match &f.returned_by {
            Some(who) => format!("案件已被{who}退回，请重新派遣。"),
            None => "案件已被退回，请重新派遣。".into(),
        },
        (Kind::Returned, Lang::En) => match &f.returned_by {
            Some(who) => format!("{who} returned this ticket. Please dispatch it again."),
            None => "This ticket was returned. Please dispatch it again.".into(),
        },
        (Kind::Resolved, Lang::Zh) => "案件已处置，请到现场核查。".into(),
        (Kind::Resolved, Lang::En) => {
            "The handler reports this ticket fixed. Please verify it on site.".into()
        }
        (Kind::Closed, Lang::Zh) => "您上报的案件已核查结案，谢谢。".into(),
        (Kind::Closed, Lang::En) => {
            "The ticket you reported was verified and closed. Thank you.".into()
        }
        (Kind::ExtensionRequested, Lang::Zh) => "处置人申请延期，请审批。".into(),
        (Kind::ExtensionRequested, Lang::En) => {
            "The handler asks for more time. Please approve or reject.".into()
        }
        (Kind::Supervised, Lang::Zh) => format!("案件已被督办（督办级别 {level}），请加快处置。"),
        (Kind::Supervised, Lang::En) => {
            format!("This ticket is under supervision (level {level}). Please speed up.")
        }
        (Kind::SlaWarning, Lang::Zh) => "案件处置时限已用去八成以上，即将超期。".into(),
        (Kind::SlaWarning, Lang::En) => {
            "Over 80 % of this ticket's time limit is used. It is due soon.".into()
        }
        (Kind::SlaOverdue, Lang::Zh) => "案件已超过处置时限，请立即处置。".into(),
        (Kind::SlaOverdue, Lang::En) => {
            "This ticket is past its deadline. Please handle it now.".into()
        }
        (Kind::Escalated, Lang::Zh) => format!("超期案件已升级（级别 {level}）。"),
        (Kind::Escalated, Lang::En) => {
            format!("This overdue ticket was escalated (level {level}).")
        }
        (Kind::DailyDigest, _) => String::new(),
    }
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Label/value rows shared by the text and HTML bodies.
fn rows(lang: Lang, f: &TicketFacts) -> Vec<(&'static str, String)> {
    let zh = lang == Lang::Zh;
    let mut place = f.places.join(" / ");
    if let Some(address) = &f.address {
        if !place.is_empty() {
            place.push_str(" · ");
        }
        place.push_str(address);
    }
    let category = if zh || f.category_en.is_empty() {
        &f.category_zh
    } else {
        &f.category_en
    };
    let none = if zh { "未设定" } else { "not set" };
    vec![
        (if zh { "案件编号" } else { "Ticket" }, f.number.clone()),
        (if zh { "类别" } else { "Category" }, category.clone()),
        (
            if zh { "地点" } else { "Place" },
            if place.is_empty() {
                (if zh { "未定位" } else { "unplaced" }).into()
            } else {
                place
            },
        ),
        (
            if zh { "描述" } else { "Description" },
            f.description.clone(),
        ),
        (
            if zh { "处置时限" } else { "Deadline" },
            f.deadline.clone().unwrap_or_else(|| none.into()),
        ),
    ]
}

fn footer(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "—— gridloop 网格化管理平台（本邮件由系统自动发送）",
        Lang::En => "— gridloop grid management (sent automatically)",
    }
}

/// The mail for one ticket notification.
pub fn ticket_mail(kind: Kind, lang: Lang, f: &TicketFacts) -> Rendered {
    let subject = match lang {
        Lang::Zh => format!(
            "[gridloop] {}：{} {}",
            label(kind, lang),
            f.number,
            f.category_zh
        ),
        Lang::En => format!(
            "[gridloop] {}: {} {}",
            label(kind, lang),
            f.number,
            if f.category_en.is_empty() {
                &f.category_zh
            } else {
                &f.category_en
            }
        ),
    };
    let head = headline(kind, lang, f);
    let rows = rows(lang, f);
    let open = if lang == Lang::Zh {
        "查看案件"
    } else {
        "Open the ticket"
    };
    let sep = if lang == Lang::Zh { "：" } else { ": " };
    let mut text = format!("{head}\n\n");
    for (k, v) in &rows {
        let _ = writeln!(text, "{k}{sep}{v}");
    }
    let _ = write!(text, "{open}{sep}{}\n\n{}\n", f.link, footer(lang));
    let mut html = format!(
        "<!DOCTYPE html>\n<html lang=\"{}\"><body>\n<p>{}</p>\n<table>\n",
        lang.as_str(),
        escape_html(&head)
    );
    for (k, v) in &rows {
        let _ = writeln!(
            html,
            "<tr><th align=\"left\">{}</th><td>{}</td></tr>",
            escape_html(k),
            escape_html(v)
        );
    }
    let _ = write!(
        html,
        "</table>\n<p><a href=\"{}\">{}</a></p>\n<p><small>{}</small></p>\n</body></html>\n",
        escape_html(&f.link),
        escape_html(open),
        escape_html(footer(lang))
    );
    Rendered {
        subject,
        text,
        html,
    }
}

/// One overdue ticket in a digest.
#[derive(Debug, Clone, Default)]
pub struct OverdueLine {
    pub number: String,
    pub category: String,
    pub deadline: String,
    pub link: String,
}

/// What a manager's daily digest says.
#[derive(Debug, Clone, Default)]
pub struct DigestFacts {
    /// The local day the counts are about (yesterday), `YYYY-MM-DD`.
    pub day: String,
    pub scope: String,
    pub reported: u64,
    pub closed: u64,
    pub overdue_open: u64,
    /// The most overdue first; at most a page of them.
    pub overdue: Vec<OverdueLine>,
}

/// The managers' morning summary: yesterday's counts and what is overdue now.
pub fn digest_mail(lang: Lang, d: &DigestFacts) -> Rendered {
    let zh = lang == Lang::Zh;
    let subject = if zh {
        format!("[gridloop] 每日简报 {}：{}", d.day, d.scope)
    } else {
        format!("[gridloop] Daily digest {}: {}", d.day, d.scope)
    };
    let counts: [(&str, u64); 3] = if zh {
        [
            ("昨日上报", d.reported),
            ("昨日结案", d.closed),
            ("当前超期未结", d.overdue_open),
        ]
    } else {
        [
            ("Reported yesterday", d.reported),
            ("Closed yesterday", d.closed),
            ("Overdue and open now", d.overdue_open),
        ]
    };
    let sep = if zh { "：" } else { ": " };
    let list_title = if zh {
        "超期案件"
    } else {
        "Overdue tickets"
    };
    let mut text = format!("{}\n\n", subject.trim_start_matches("[gridloop] "));
    let mut html = format!(
        "<!DOCTYPE html>\n<html lang=\"{}\"><body>\n<h3>{}</h3>\n<ul>\n",
        lang.as_str(),
        escape_html(subject.trim_start_matches("[gridloop] "))
    );
    for (k, v) in counts {
        let _ = writeln!(text, "{k}{sep}{v}");
        let _ = writeln!(html, "<li>{}{sep}{v}</li>", escape_html(k));
    }
    html.push_str("</ul>\n");
    if !d.overdue.is_empty() {
        let _ = writeln!(text, "\n{list_title}{sep}");
        let _ = writeln!(html, "<p>{}</p>\n<ol>", escape_html(list_title));
        for o in &d.overdue {
            let _ = writeln!(
                text,
                "- {} {} ({}) {}",
                o.number, o.category, o.deadline, o.link
            );
            let _ = writeln!(
                html,
                "<li><a href=\"{}\">{}</a> {} ({})</li>",
                escape_html(&o.link),
                escape_html(&o.number),
                escape_html(&o.category),
                escape_html(&o.deadline)
            );
        }
        html.push_str("</ol>\n");
    }
    let _ = write!(text, "\n{}\n", footer(lang));
    let _ = write!(
        html,
        "<p><small>{}</small></p>\n</body></html>\n",
        escape_html(footer(lang))
    );
    Rendered {
        subject,
        text,
        html,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> TicketFacts {
        TicketFacts {
            number: "GL-20261130-000007".into(),
            category_zh: "无照经营游商".into(),
            category_en: "Unlicensed street vending".into(),
            places: vec!["网格一".into(), "人民路".into(), "人民路1弄".into()],
            address: Some("人民路1弄 3号".into()),
            description: "<script>alert(1)</script> & 摊位".into(),
            deadline: Some("2026-11-30 11:00 (Asia/Shanghai)".into()),
            escalation_level: 2,
            returned_by: None,
            link: "https://grid.example.org/tickets/GL-20261130-000007".into(),
        }
    }

    #[test]
    fn chinese_is_the_default_and_carries_every_fact() {
        let m = ticket_mail(Kind::Dispatched, Lang::of("zh"), &facts());
        assert_eq!(
            m.subject,
            "[gridloop] 新派遣：GL-20261130-000007 无照经营游商"
        );
        for needle in [
            "GL-20261130-000007",
            "无照经营游商",
            "网格一 / 人民路 / 人民路1弄",
            "2026-11-30 11:00",
            "https://grid.example.org/tickets/GL-20261130-000007",
        ] {
            assert!(m.text.contains(needle), "text lacks {needle}: {}", m.text);
            assert!(m.html.contains(needle), "html lacks {needle}: {}", m.html);
        }
        assert_eq!(Lang::of(""), Lang::Zh);
        assert_eq!(Lang::of("fr"), Lang::Zh);
    }

    #[test]
    fn english_by_user_setting() {
        let m = ticket_mail(Kind::SlaOverdue, Lang::of("en"), &facts());
        assert_eq!(
            m.subject,
            "[gridloop] Overdue: GL-20261130-000007 Unlicensed street vending"
        );
        assert!(m.text.contains("Deadline: 2026-11-30 11:00"));
        assert!(m.text.contains("past its deadline"));
        assert!(!m.text.contains("处置时限"));
    }

    #[test]
    fn user_text_is_escaped_in_html_only() {
        let m = ticket_mail(Kind::Resolved, Lang::Zh, &facts());
        assert!(m.text.contains("<script>alert(1)</script> & 摊位"));
        assert!(
            m.html
                .contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; 摊位")
        );
        assert!(!m.html.contains("<script>"));
        assert_eq!(escape_html("a\"b'c"), "a&quot;b&#39;c");
    }

    #[test]
    fn every_ticket_kind_has_a_headline_in_both_languages() {
        for kind in Kind::ALL.into_iter().filter(|k| *k != Kind::DailyDigest) {
            for lang in [Lang::Zh, Lang::En] {
                let m = ticket_mail(kind, lang, &facts());
                let first = m.text.lines().next().unwrap_or_default();
                assert!(!first.is_empty(), "{kind:?} {lang:?}");
            }
        }
    }

    #[test]
    fn the_digest_lists_counts_and_overdue_tickets() {
        let d = DigestFacts {
            day: "2026-11-30".into(),
            scope: "新华街道".into(),
            reported: 5,
            closed: 3,
            overdue_open: 1,
            overdue: vec![OverdueLine {
                number: "GL-20261130-000001".into(),
                category: "机动车乱停放".into(),
                deadline: "2026-11-30 10:00".into(),
                link: "http://x/tickets/GL-20261130-000001".into(),
            }],
        };
        let zh = digest_mail(Lang::Zh, &d);
        assert!(zh.subject.contains("每日简报 2026-11-30"));
        assert!(zh.text.contains("昨日上报：5"));
        assert!(zh.text.contains("当前超期未结：1"));
        assert!(zh.html.contains("GL-20261130-000001"));
        let en = digest_mail(Lang::En, &d);
        assert!(en.text.contains("Closed yesterday: 3"));
    }
}
