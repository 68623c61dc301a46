"""The read side: /insights, digests, spike alerts, App Home and who may see restricted texts."""
