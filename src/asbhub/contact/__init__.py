"""The public's contact channels: online ASB reports, live chat, and their counts."""
