"""Retention: review dates per record class (MoPI-style, as data), the list of what is due,
and deletion only through an administrator's recorded, audited decision."""
