# Tables and buckets: the tables the deploy catalog lists (the plugins' TableSpecs) and the buckets of
# bot/storage/tables.py BUCKETS (tests/infra compares them).

locals {
  # Tables are what the plugins declare (the deploy catalog); the buckets are the platform's.
  tables = var.tables

  # Every key attribute of a table and its indexes is a string (bot/storage/base.py).
  table_attributes = {
    for k, t in local.tables : k => distinct(compact(concat(
      [t.pk, t.sk], flatten([for i in t.indexes : [i.pk, i.sk]])
    )))
  }

  buckets = {
    # Agent session histories: versioned, so an overwritten history can be recovered.
    sessions = { versioned = true, expire_days = null }
    # Generated meeting materials are useful for a month.
    materials = { versioned = false, expire_days = 30 }
    # Project deliverables are kept.
    artifacts = { versioned = true, expire_days = null }
  }
}
