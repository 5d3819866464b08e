"""Permintaan peserta (DESIGN §3.12 Perbaikan data, §3.14 Kartu ini milik saya): what the
participant files, and the officers' decisions on them (decisions.py)."""
