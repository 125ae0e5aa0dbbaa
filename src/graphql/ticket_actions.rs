//! The loop's mutations: each `name(input: NameInput!): NamePayload!` with the changed ticket.

use std::io::Read;

use async_graphql::{Context, ID, InputObject, Object, SimpleObject, Upload};
use chrono::{DateTime, Utc};

use crate::domain::lifecycle::Source;
use crate::service::evidence::NewPhoto;
use crate::service::tickets::engine::Target;
use crate::service::tickets::{self, handling, oversight};

use super::context::{actor, app_state, viewer};
use super::error::{ApiError, ApiResult};
use super::ids;
use super::types::ticket::{Ticket, TicketSource};

/// A photo upload (GraphQL multipart request) with what the app knows about it.
#[derive(InputObject)]
pub struct PhotoInput {
    pub file: Upload,
    pub taken_at: Option<DateTime<Utc>>,
    /// Where the app says the photo was taken.
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

fn photos(ctx: &Context<'_>, field: &str, inputs: Vec<PhotoInput>) -> ApiResult<Vec<NewPhoto>> {
    let limit = app_state(ctx)?.settings.evidence.max_bytes as u64;
    inputs
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let at = format!("{field}[{i}]");
            let upload = p
                .file
                .value(ctx)
                .map_err(|_| ApiError::bad_input(&at, "missing file part"))?;
            let mut bytes = Vec::new();
            upload
                .into_read()
                .take(limit + 1)
                .read_to_end(&mut bytes)
                .map_err(|_| ApiError::bad_input(&at, "cannot read the upload"))?;
            if bytes.len() as u64 > limit {
                return Err(ApiError::bad_input(
                    at,
                    format!("is larger than {limit} bytes"),
                ));
            }
            Ok(NewPhoto {
                bytes,
                taken_at: p.taken_at,
                lat: p.lat,
                lon: p.lon,
            })
        })
        .collect()
}

fn user_id(id: Option<&ID>, field: &str) -> ApiResult<Option<i64>> {
    id.map(|id| ids::decode_numeric(id, "User", field))
        .transpose()
}

macro_rules! payload {
    ($($name:ident),* $(,)?) => {$(
        #[derive(SimpleObject)]
        pub struct $name {
            pub ticket: Ticket,
        }
    )*};
}

payload!(
    DispatchTicketPayload,
    AcceptTicketPayload,
    ReturnTicketPayload,
    RequestExtensionPayload,
    DecideExtensionPayload,
    ResolveTicketPayload,
    VerifyTicketPayload,
    RejectTicketPayload,
    MarkDuplicatePayload,
    SuspendTicketPayload,
    ResumeTicketPayload,
    ReopenTicketPayload,
    SuperviseTicketPayload,
    SubmitFeedbackPayload,
);

#[derive(InputObject)]
pub struct ReportIssueInput {
    pub category_code: String,
    pub description: String,
    pub lat: f64,
    pub lon: f64,
    pub address: Option<String>,
    /// PATROL for grid workers (default); HOTLINE (default for dispatchers), CAMERA, PUBLIC, SUPERIOR.
    pub source: Option<TicketSource>,
    /// Makes retries safe: the same id from the same user returns the first ticket.
    pub client_request_id: Option<String>,
    /// BEFORE photos.
    #[graphql(default)]
    pub photos: Vec<PhotoInput>,
    /// 自处理: fixed on the spot; closed at once; needs `afterPhotos`.
    #[graphql(default)]
    pub handled_on_site: bool,
    #[graphql(default)]
    pub after_photos: Vec<PhotoInput>,
}

#[derive(SimpleObject)]
pub struct DuplicateCandidate {
    pub ticket: Ticket,
    pub distance_meters: f64,
}

#[derive(SimpleObject)]
pub struct ReportIssuePayload {
    pub ticket: Ticket,
    /// Open tickets of the same category nearby (within its duplicate radius and window), nearest first.
    pub duplicate_candidates: Vec<DuplicateCandidate>,
    /// True when this request repeated an earlier `clientRequestId`: nothing new was created.
    pub replayed: bool,
}

#[derive(InputObject)]
pub struct DispatchTicketInput {
    pub number: String,
    /// The ticket version you last saw; if the ticket changed since, the action fails with CONFLICT.
    pub expected_version: Option<i32>,
    /// Omit to dispatch to the routed handler.
    pub assignee_id: Option<ID>,
    pub note: Option<String>,
}

#[derive(InputObject)]
pub struct AcceptTicketInput {
    pub number: String,
    /// The ticket version you last saw; if the ticket changed since, the action fails with CONFLICT.
    pub expected_version: Option<i32>,
}

#[derive(InputObject)]
pub struct ReturnTicketInput {
    pub number: String,
    /// The ticket version you last saw; if the ticket changed since, the action fails with CONFLICT.
    pub expected_version: Option<i32>,
    pub reason: String,
}

#[derive(InputObject)]
pub struct RequestExtensionInput {
    pub number: String,
    /// The ticket version you last saw; if the ticket changed since, the action fails with CONFLICT.
    pub expected_version: Option<i32>,
    /// Extra time in the category's calendar.
    pub minutes: i32,
    pub reason: String,
}

#[derive(InputObject)]
pub struct DecideExtensionInput {
    pub number: String,
    /// The ticket version you last saw; if the ticket changed since, the action fails with CONFLICT.
    pub expected_version: Option<i32>,
    pub approved: bool,
    pub note: Option<String>,
}

#[derive(InputObject)]
pub struct ResolveTicketInput {
    pub number: String,
    /// The ticket version you last saw; if the ticket changed since, the action fails with CONFLICT.
    pub expected_version: Option<i32>,
    pub note: String,
    /// AFTER photos; at least one.
    pub photos: Vec<PhotoInput>,
}

#[derive(InputObject)]
pub struct VerifyTicketInput {
    pub number: String,
    /// The ticket version you last saw; if the ticket changed since, the action fails with CONFLICT.
    pub expected_version: Option<i32>,
    pub passed: bool,
    /// Required when the check failed.
    pub note: Option<String>,
    #[graphql(default)]
    pub photos: Vec<PhotoInput>,
}

#[derive(InputObject)]
pub struct RejectTicketInput {
    pub number: String,
    /// The ticket version you last saw; if the ticket changed since, the action fails with CONFLICT.
    pub expected_version: Option<i32>,
    pub reason: String,
}

#[derive(InputObject)]
pub struct MarkDuplicateInput {
    pub number: String,
    /// The ticket version you last saw; if the ticket changed since, the action fails with CONFLICT.
    pub expected_version: Option<i32>,
    /// The earlier ticket this one repeats.
    pub original_number: String,
    pub note: Option<String>,
}

#[derive(InputObject)]
pub struct SuspendTicketInput {
    pub number: String,
    /// The ticket version you last saw; if the ticket changed since, the action fails with CONFLICT.
    pub expected_version: Option<i32>,
    pub reason: String,
}

#[derive(InputObject)]
pub struct ResumeTicketInput {
    pub number: String,
    /// The ticket version you last saw; if the ticket changed since, the action fails with CONFLICT.
    pub expected_version: Option<i32>,
    pub note: Option<String>,
}

#[derive(InputObject)]
pub struct ReopenTicketInput {
    pub number: String,
    /// The ticket version you last saw; if the ticket changed since, the action fails with CONFLICT.
    pub expected_version: Option<i32>,
    pub reason: String,
}

#[derive(InputObject)]
pub struct SuperviseTicketInput {
    pub number: String,
    /// The ticket version you last saw; if the ticket changed since, the action fails with CONFLICT.
    pub expected_version: Option<i32>,
    pub note: String,
}

#[derive(InputObject)]
pub struct SubmitFeedbackInput {
    pub number: String,
    /// The ticket version you last saw; if the ticket changed since, the action fails with CONFLICT.
    pub expected_version: Option<i32>,
    /// 1–5; 4 or more counts as satisfied.
    pub score: i32,
    pub comment: Option<String>,
}

#[derive(Default)]
pub struct TicketMutation;

#[Object]
impl TicketMutation {
    /// Reports a problem (grid worker on patrol; dispatcher for hotline and other sources).
    async fn report_issue(
        &self,
        ctx: &Context<'_>,
        input: ReportIssueInput,
    ) -> ApiResult<ReportIssuePayload> {
        let state = app_state(ctx)?;
        let v = viewer(ctx)?;
        let before = photos(ctx, "photos", input.photos)?;
        let after = photos(ctx, "afterPhotos", input.after_photos)?;
        let out = tickets::report(
            state,
            v,
            tickets::ReportInput {
                category_code: input.category_code,
                description: input.description,
                lat: input.lat,
                lon: input.lon,
                address: input.address,
                source: input.source.map(Source::from),
                client_request_id: input.client_request_id,
                photos: before,
                handled_on_site: input.handled_on_site,
                after_photos: after,
            },
        )
        .await?;
        Ok(ReportIssuePayload {
            ticket: out.ticket.into(),
            duplicate_candidates: out
                .duplicate_candidates
                .into_iter()
                .map(|(t, d)| DuplicateCandidate {
                    ticket: t.into(),
                    distance_meters: (d * 10.0).round() / 10.0,
                })
                .collect(),
            replayed: out.replayed,
        })
    }

    /// Dispatches to the chosen chief or the routed handler; starts the handle clock (DISPATCHER).
    async fn dispatch_ticket(
        &self,
        ctx: &Context<'_>,
        input: DispatchTicketInput,
    ) -> ApiResult<DispatchTicketPayload> {
        let assignee = user_id(input.assignee_id.as_ref(), "assigneeId")?;
        let t = handling::dispatch(
            app_state(ctx)?,
            actor(ctx)?,
            &Target::at_version(input.number.clone(), input.expected_version),
            assignee,
            input.note.as_deref(),
        )
        .await?;
        Ok(DispatchTicketPayload { ticket: t.into() })
    }

    /// The assignee takes the ticket on.
    async fn accept_ticket(
        &self,
        ctx: &Context<'_>,
        input: AcceptTicketInput,
    ) -> ApiResult<AcceptTicketPayload> {
        let t = handling::accept(
            app_state(ctx)?,
            actor(ctx)?,
            &Target::at_version(input.number.clone(), input.expected_version),
        )
        .await?;
        Ok(AcceptTicketPayload { ticket: t.into() })
    }

    /// 退回: "not mine"; the clock stops until the next dispatch.
    async fn return_ticket(
        &self,
        ctx: &Context<'_>,
        input: ReturnTicketInput,
    ) -> ApiResult<ReturnTicketPayload> {
        let t = handling::return_ticket(
            app_state(ctx)?,
            actor(ctx)?,
            &Target::at_version(input.number.clone(), input.expected_version),
            &input.reason,
        )
        .await?;
        Ok(ReturnTicketPayload { ticket: t.into() })
    }

    /// The assignee asks for more time; one pending request at a time.
    async fn request_extension(
        &self,
        ctx: &Context<'_>,
        input: RequestExtensionInput,
    ) -> ApiResult<RequestExtensionPayload> {
        let t = oversight::request_extension(
            app_state(ctx)?,
            actor(ctx)?,
            &Target::at_version(input.number.clone(), input.expected_version),
            input.minutes,
            &input.reason,
        )
        .await?;
        Ok(RequestExtensionPayload { ticket: t.into() })
    }

    /// Approves (dueAt moves later) or rejects the pending extension (DISPATCHER, MANAGER).
    async fn decide_extension(
        &self,
        ctx: &Context<'_>,
        input: DecideExtensionInput,
    ) -> ApiResult<DecideExtensionPayload> {
        let t = oversight::decide_extension(
            app_state(ctx)?,
            actor(ctx)?,
            &Target::at_version(input.number.clone(), input.expected_version),
            input.approved,
            input.note.as_deref(),
        )
        .await?;
        Ok(DecideExtensionPayload { ticket: t.into() })
    }

    /// 处置反馈: the assignee reports the fix with at least one AFTER photo.
    async fn resolve_ticket(
        &self,
        ctx: &Context<'_>,
        input: ResolveTicketInput,
    ) -> ApiResult<ResolveTicketPayload> {
        let state = app_state(ctx)?;
        let after = photos(ctx, "photos", input.photos)?;
        let t = handling::resolve(
            state,
            actor(ctx)?,
            &Target::at_version(input.number.clone(), input.expected_version),
            &input.note,
            after,
        )
        .await?;
        Ok(ResolveTicketPayload { ticket: t.into() })
    }

    /// 核查: a grid worker of the ticket's grid (or a dispatcher) checks the fix on site.
    async fn verify_ticket(
        &self,
        ctx: &Context<'_>,
        input: VerifyTicketInput,
    ) -> ApiResult<VerifyTicketPayload> {
        let state = app_state(ctx)?;
        let shots = photos(ctx, "photos", input.photos)?;
        let t = handling::verify(
            state,
            actor(ctx)?,
            &Target::at_version(input.number.clone(), input.expected_version),
            input.passed,
            input.note.as_deref(),
            shots,
        )
        .await?;
        Ok(VerifyTicketPayload { ticket: t.into() })
    }

    /// 不予立案: an invalid report; terminal (DISPATCHER).
    async fn reject_ticket(
        &self,
        ctx: &Context<'_>,
        input: RejectTicketInput,
    ) -> ApiResult<RejectTicketPayload> {
        let t = handling::reject(
            app_state(ctx)?,
            actor(ctx)?,
            &Target::at_version(input.number.clone(), input.expected_version),
            &input.reason,
        )
        .await?;
        Ok(RejectTicketPayload { ticket: t.into() })
    }

    /// Marks a later report as a duplicate of an earlier ticket; terminal (DISPATCHER).
    async fn mark_duplicate(
        &self,
        ctx: &Context<'_>,
        input: MarkDuplicateInput,
    ) -> ApiResult<MarkDuplicatePayload> {
        let t = handling::mark_duplicate(
            app_state(ctx)?,
            actor(ctx)?,
            &Target::at_version(input.number.clone(), input.expected_version),
            &input.original_number,
            input.note.as_deref(),
        )
        .await?;
        Ok(MarkDuplicatePayload { ticket: t.into() })
    }

    /// 挂账: pauses the clock (MANAGER).
    async fn suspend_ticket(
        &self,
        ctx: &Context<'_>,
        input: SuspendTicketInput,
    ) -> ApiResult<SuspendTicketPayload> {
        let t = oversight::suspend(
            app_state(ctx)?,
            actor(ctx)?,
            &Target::at_version(input.number.clone(), input.expected_version),
            &input.reason,
        )
        .await?;
        Ok(SuspendTicketPayload { ticket: t.into() })
    }

    /// Ends a suspension; dueAt moves later by the time suspended (MANAGER).
    async fn resume_ticket(
        &self,
        ctx: &Context<'_>,
        input: ResumeTicketInput,
    ) -> ApiResult<ResumeTicketPayload> {
        let t = oversight::resume(
            app_state(ctx)?,
            actor(ctx)?,
            &Target::at_version(input.number.clone(), input.expected_version),
            input.note.as_deref(),
        )
        .await?;
        Ok(ResumeTicketPayload { ticket: t.into() })
    }

    /// Sends a closed ticket back to work (DISPATCHER, MANAGER).
    async fn reopen_ticket(
        &self,
        ctx: &Context<'_>,
        input: ReopenTicketInput,
    ) -> ApiResult<ReopenTicketPayload> {
        let t = oversight::reopen(
            app_state(ctx)?,
            actor(ctx)?,
            &Target::at_version(input.number.clone(), input.expected_version),
            &input.reason,
        )
        .await?;
        Ok(ReopenTicketPayload { ticket: t.into() })
    }

    /// 督办: raises the escalation level (MANAGER).
    async fn supervise_ticket(
        &self,
        ctx: &Context<'_>,
        input: SuperviseTicketInput,
    ) -> ApiResult<SuperviseTicketPayload> {
        let t = oversight::supervise(
            app_state(ctx)?,
            actor(ctx)?,
            &Target::at_version(input.number.clone(), input.expected_version),
            &input.note,
        )
        .await?;
        Ok(SuperviseTicketPayload { ticket: t.into() })
    }

    /// 回访: a satisfaction score on a closed ticket (its reporter, or a dispatcher).
    async fn submit_feedback(
        &self,
        ctx: &Context<'_>,
        input: SubmitFeedbackInput,
    ) -> ApiResult<SubmitFeedbackPayload> {
        let t = oversight::feedback(
            app_state(ctx)?,
            actor(ctx)?,
            &Target::at_version(input.number.clone(), input.expected_version),
            input.score,
            input.comment.as_deref(),
        )
        .await?;
        Ok(SubmitFeedbackPayload { ticket: t.into() })
    }
}
