"""Subject access (UK GDPR Art 15; DPA 2018 s.45): everything asbhub holds about one person,
across incidents, assessments, case reviews, restorative referrals and the audit of who saw
them, as one document."""
