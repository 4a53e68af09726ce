"""The audit event catalogue: every event asbhub records, with what it means.

An event name reads ``source:subject:action`` like the permission actions. :func:`record`
refuses a name that is not here, so a new kind of event is added to this list (and to
docs/audit.md, which a test keeps in step) before it can be written.
"""

from __future__ import annotations

from asbhub.enums import DescribedEnum


class AuditEventType(DescribedEnum):
    """Every kind of audit event. ``description`` says what happened when one is recorded."""

    AUTH_LOGIN = ("auth:session:login", "A sign-in attempt, let in or refused (with lock-out)")
    AUTH_USER_CREATE = ("auth:user:create", "An account was created, with its role and agency")
    AUTH_USER_UPDATE = ("auth:user:update", "An account's role was changed (before and after)")
    AUTH_SECOND_FACTOR_ISSUE = (
        "auth:second_factor:issue",
        "A TOTP secret was issued to an account to start setting up its second factor",
    )
    AUTH_SECOND_FACTOR_CONFIRM = (
        "auth:second_factor:confirm",
        "A second factor was confirmed by its first code and recovery codes issued, or the "
        "code was refused",
    )
    AUTH_SECOND_FACTOR_VERIFY = (
        "auth:second_factor:verify",
        "A sign-in code (app or recovery code) was accepted, or refused as wrong, replayed, "
        "used or locked",
    )
    AUTH_SECOND_FACTOR_RESET = (
        "auth:second_factor:reset",
        "An administrator removed an account's second factor and recovery codes",
    )
    AUTH_SESSION_REVOKE = (
        "auth:session:revoke",
        "Every open session of an account was ended, with the reason",
    )
    ACCESS_DENIED = ("web:route:access_denied", "A signed-in user was refused a page or call")
    NOT_FOUND = (
        "web:route:not_found",
        "A signed-in user asked for a record that is not there or outside their scope",
    )
    AUDIT_VIEW = ("audit:event:view", "Someone read the audit trail")
    INCIDENT_RECORD = (
        "incidents:incident:record",
        "An incident was recorded from a call, an online report or a converted chat",
    )
    INCIDENT_VIEW = ("incidents:incident:view", "An incident with its people was opened")
    INCIDENT_LIST = ("incidents:incident:list", "A page of incidents was listed, with its filters")
    INCIDENT_SEARCH = (
        "incidents:incident:search",
        "Incidents were searched by reference or place, with the query",
    )
    LOCATION_VIEW = (
        "incidents:location:view",
        "The incidents at and around a stored location were listed",
    )
    INCIDENT_NEAR = ("incidents:incident:near", "The incidents within a radius were listed")
    PERSON_VIEW = ("incidents:person:view", "A person's page with all their incidents was opened")
    PERSON_SEARCH = ("incidents:person:search", "Incidents were searched by a person's name")
    PUBLIC_REPORT = ("public:report:create", "A member of the public sent an online report")
    CHAT_VIEW = ("contact:chat:view", "A live chat and its transcript were opened by staff")
    CHAT_TAKE = ("contact:chat:take", "A handler took a waiting live chat")
    CHAT_CLOSE = ("contact:chat:close", "A handler closed a live chat")
    CHAT_CONVERT = ("contact:chat:convert", "A live chat was recorded as an incident")
    QUEUE_VIEW = (
        "contact:queue:view",
        "The contact queue was viewed with the names chatters gave",
    )
    INGEST_INCIDENTS = (
        "ingest:incidents:load",
        "A force incident export was loaded: rows stored, with their people",
    )
    INGEST_PUBLIC_RECORDS = (
        "ingest:public_records:load",
        "data.police.uk files were loaded: files, rows stored, skipped and quarantined",
    )
    GENERATE_INCIDENTS = (
        "generate:incidents:create",
        "Synthetic incidents, people and chats were generated for a period, with their counts",
    )
    STORE_BACKUP = (
        "store:database:backup",
        "A backup of the database was written (the file's name)",
    )
    STORE_RESTORE = (
        "store:database:restore",
        "A backup was restored into an empty database, and whether it matched its manifest",
    )
    RETENTION_LIST = (
        "retention:records:list",
        "The records due for review or deletion were listed, with the rules version",
    )
    RETENTION_DECIDE = (
        "retention:records:decide",
        "An administrator kept or deleted the records of a class that were due, with the reason",
    )
    AUTH_USER_ENABLE = ("auth:user:enable", "An administrator enabled an account")
    AUTH_USER_DISABLE = ("auth:user:disable", "An administrator disabled an account")
    AUTH_USER_UNLOCK = (
        "auth:user:unlock",
        "An administrator unlocked an account locked out by failed sign-ins",
    )
    AUTH_USER_RESET_PASSWORD = (
        "auth:user:reset_password",
        "An administrator set a new password for an account",
    )
    AUDIT_SEARCH = ("audit:event:search", "The audit trail was searched, with the filters")
    AUDIT_EXPORT = ("audit:event:export", "Audit events were exported as CSV, with the filters")
    TRIAGE_CALL_ASSESS = (
        "triage:call:assess",
        "A call was assessed (risk, repeats, case review, decision) without storing it",
    )
    TRIAGE_ASSESSMENT_CREATE = (
        "triage:assessment:create",
        "A triage assessment and decision were recorded for an incident",
    )
    TRIAGE_REVIEW_RECORD = (
        "triage:review:record",
        "A scheduled supervisor or inspector review of a risk case was recorded",
    )
    INCIDENT_ASSIGN = (
        "incidents:incident:assign",
        "An incident was assigned to an officer or a team",
    )
    INCIDENT_ATTEND = ("incidents:incident:attend", "Attendance at an incident was recorded")
    INCIDENT_CLOSE = (
        "incidents:incident:close",
        "An incident was closed with its closing code and confirmed qualifier",
    )
    CASE_REVIEW_CREATE = (
        "casereviews:case_review:create",
        "An ASB case review application was recorded, by the victim or on their behalf",
    )
    CASE_REVIEW_VIEW = (
        "casereviews:case_review:view",
        "An ASB case review with its applicant and victim was opened",
    )
    CASE_REVIEW_LIST = (
        "casereviews:case_review:list",
        "ASB case reviews were listed, with the filters and the count",
    )
    CASE_REVIEW_ACKNOWLEDGE = (
        "casereviews:case_review:acknowledge",
        "An ASB case review application was acknowledged",
    )
    CASE_REVIEW_DECIDE = (
        "casereviews:case_review:decide",
        "The threshold of an ASB case review was decided, with the rules' version and basis",
    )
    CASE_REVIEW_REVIEW = (
        "casereviews:case_review:review",
        "The panel's review of an ASB case review was recorded, with its recommendations",
    )
    CASE_REVIEW_OUTCOME = (
        "casereviews:case_review:outcome",
        "The applicant was sent the outcome of an ASB case review",
    )
    CASE_REVIEW_WITHDRAW = (
        "casereviews:case_review:withdraw",
        "An ASB case review application was withdrawn, with the reason",
    )
    CASE_REVIEW_RECOMMENDATION = (
        "casereviews:recommendation:update",
        "A case review recommendation was recorded as done by its owner",
    )
    HANDLING_REVIEW_REQUEST = (
        "casereviews:handling_review:request",
        "An applicant asked for the handling of their case review to be reviewed",
    )
    HANDLING_REVIEW_DECIDE = (
        "casereviews:handling_review:decide",
        "A request to review the handling of a case review was decided",
    )
    GENERATE_CASE_REVIEWS = (
        "generate:case_reviews:create",
        "Synthetic ASB case reviews were generated for a period, with their counts",
    )
    RESTORATIVE_CREATE = (
        "restorative:referral:create",
        "A restorative justice or Community Remedy referral was recorded with its two parties",
    )
    RESTORATIVE_VIEW = (
        "restorative:referral:view",
        "A restorative referral with its parties was opened",
    )
    RESTORATIVE_LIST = (
        "restorative:referral:list",
        "Restorative referrals were listed, with the filters and the count",
    )
    RESTORATIVE_CONSENT = (
        "restorative:referral:consent",
        "A party's consent to a restorative referral was recorded, with its day",
    )
    RESTORATIVE_PLAN = (
        "restorative:referral:plan",
        "A referral's facilitator, method and action (with the victim's view) were recorded",
    )
    RESTORATIVE_START = (
        "restorative:referral:start",
        "Restorative work started after both parties consented",
    )
    RESTORATIVE_COMPLETE = (
        "restorative:referral:complete",
        "Restorative work ended with its outcome",
    )
    RESTORATIVE_WITHDRAW = (
        "restorative:referral:withdraw",
        "A party withdrew from a restorative referral",
    )
    RESTORATIVE_DECLINE = (
        "restorative:referral:decline",
        "A restorative referral was found not suitable",
    )
    RESTORATIVE_FEEDBACK = (
        "restorative:referral:feedback",
        "A party's satisfaction with restorative work was recorded",
    )
    GENERATE_CASEWORK = (
        "generate:casework:create",
        "Synthetic housing providers, their sharing agreement and SARA cases at repeat locations "
        "were generated, with their counts",
    )
    GENERATE_RESTORATIVE = (
        "generate:restorative:create",
        "Synthetic restorative referrals were generated for a period, with their counts",
    )
    SUBJECT_ACCESS_EXPORT = (
        "subject_access:person:export",
        "Everything held about one person was exported for a subject access request",
    )
    AGENCY_CREATE = (
        "agencies:agency:create",
        "An agency was added, with its kind and areas",
    )
    AGREEMENT_CREATE = (
        "agencies:agreement:create",
        "An information sharing agreement was recorded, with its parties and classes",
    )
    CASE_CREATE = (
        "casework:case:create",
        "A problem-solving case was opened, with the incidents it links",
    )
    CASE_VIEW = (
        "casework:case:view",
        "A case was opened, with the data classes it showed",
    )
    CASE_LIST = (
        "casework:case:list",
        "A list of cases was shown",
    )
    CASE_UPDATE = (
        "casework:case:update",
        "A case's problem, analysis, objectives, actions or contact changed",
    )
    CASE_STAGE = (
        "casework:case:stage",
        "A case moved between SARA stages, forward or back, with the reason",
    )
    CASE_SHARE = (
        "casework:case:share",
        "A case's data was shared with another agency, naming the agreement",
    )
    SHARE_OVERRIDE = (
        "casework:share:override",
        "Personal data was shared with no agreement by emergency override, queued for review",
    )
    SHARE_REVIEW = (
        "casework:share:review",
        "An emergency override was reviewed: upheld or revoked",
    )
    CASE_ASSESS = (
        "casework:case:assess",
        "A case's assessment against its baseline was recorded, with the counts",
    )
    CASE_SIGN_OFF = (
        "casework:case:sign_off",
        "A case's assessment was signed off and the case closed",
    )
    CASE_REVIEW = (
        "casework:review:record",
        "A scheduled review of a case was recorded",
    )
    REFERRAL_LIST = (
        "casework:referral:list",
        "The incidents triage referred to an agency were listed",
    )
    RECORDING_AUDIT_RUN = (
        "recording:audit:run",
        "The recording audit ran over a period: incidents read, flags raised, rule and model "
        "versions",
    )
    RECORDING_FLAG_LIST = (
        "recording:flag:list",
        "The recording audit's worklist was listed, with its filters",
    )
    RECORDING_RECLASSIFY = (
        "recording:incident:reclassify",
        "A flagged incident's qualifier or hate flag was corrected (before and after, why), "
        "and offered to triage when it became personal",
    )
    RECORDING_FLAG_DISMISS = (
        "recording:flag:dismiss",
        "A recording audit flag was dismissed: the record stands, with the reason",
    )
    POWER_CREATE = (
        "powers:record:create",
        "A statutory power was drafted for a person, body, premises or locality",
    )
    POWER_ISSUE = (
        "powers:record:issue",
        "A statutory power was issued or served, with the rule version it was checked against",
    )
    POWER_TRANSITION = (
        "powers:record:transition",
        "A step in a power's life was recorded (extended, complied, breached, varied, appealed, "
        "expired, discharged), with the state before and after",
    )
    POWER_VIEW = ("powers:record:view", "A statutory power record was opened")
    POWER_LIST = (
        "powers:record:list",
        "The statutory powers of a person or a case were listed",
    )
    POWER_LETTER_ISSUE = (
        "powers:letter:issue",
        "A letter of a statutory power was produced (HTML and PDF) and stored with the record",
    )
    POWER_LETTER_VIEW = (
        "powers:letter:view",
        "A stored letter of a statutory power was downloaded",
    )
    POWER_DEADLINES = (
        "powers:deadline:list",
        "The due and overdue deadlines of statutory powers were listed",
    )
    POWER_REMINDERS = (
        "powers:reminder:create",
        "The scheduled job reminded owners of deadlines due soon or overdue, with its counts",
    )
    POWER_RULES_UPDATE = (
        "powers:rules:update",
        "An administrator switched a change in the law on or off with its date, or set a "
        "configurable value of the powers rules",
    )
