"""Notifikasi (DESIGN §3.15): the inbox, and its delivery by e-mail and Web Push."""
