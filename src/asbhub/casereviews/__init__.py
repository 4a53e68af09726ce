"""ASB Case Reviews (2014 Act s.104): applications, the threshold test, deadlines, the panel's
review and recommendations, the applicant's request to review the handling, the yearly table."""
