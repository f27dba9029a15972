"""The patient's side: a live page per ticket (/t/{ticket}) and the printed slip."""
