# Tables and buckets: exactly bot/storage/tables.py (all_tables() used in AWS, and BUCKETS).
# tests/infra parses this file and compares it with the TableSpecs, so a table added in Python
# without Terraform (or with other keys) fails CI.

locals {
  tables = {
    users = {
      pk      = "user_id"
      sk      = null
      ttl     = null
      indexes = [{ name = "by_status", pk = "status", sk = "user_id" }]
    }
    chat_sessions = {
      pk      = "session_id"
      sk      = null
      ttl     = "expires_at"
      indexes = [{ name = "by_user", pk = "user_id", sk = "updated_at" }]
    }
    meetings = {
      pk  = "meeting_id"
      sk  = null
      ttl = null
      indexes = [
        { name = "by_user_start", pk = "user_id", sk = "start" },
        { name = "by_external", pk = "external_key", sk = null },
      ]
    }
    action_items = {
      pk  = "item_id"
      sk  = null
      ttl = null
      indexes = [
        { name = "by_meeting", pk = "meeting_id", sk = "created_at" },
        { name = "by_owner", pk = "owner_id", sk = "due" },
      ]
    }
    projects = {
      pk  = "project_id"
      sk  = null
      ttl = null
      indexes = [
        { name = "by_name", pk = "name", sk = null },
        { name = "by_channel", pk = "channel_id", sk = null },
      ]
    }
    task_ledger = {
      pk      = "project_id"
      sk      = "entry_id"
      ttl     = null
      indexes = []
    }
    idempotency = {
      pk      = "key"
      sk      = null
      ttl     = "expires_at"
      indexes = []
    }
    usage = {
      pk      = "day"
      sk      = "entry_id"
      ttl     = "expires_at"
      indexes = [{ name = "by_user", pk = "user_id", sk = "at" }]
    }
    usage_totals = {
      pk      = "scope"
      sk      = "period"
      ttl     = "expires_at"
      indexes = []
    }
    calendar_connections = {
      pk      = "user_id"
      sk      = "provider"
      ttl     = null
      indexes = []
    }
    oauth_states = {
      pk      = "state"
      sk      = null
      ttl     = "expires_at"
      indexes = []
    }
    project_items = {
      pk      = "project_id"
      sk      = "item_id"
      ttl     = null
      indexes = []
    }
    patterns = {
      pk      = "library"
      sk      = "pattern_id"
      ttl     = null
      indexes = [{ name = "by_tier", pk = "tier", sk = "pattern_id" }]
    }
    audit_log = {
      pk      = "scope"
      sk      = "entry_id"
      ttl     = null
      indexes = [{ name = "by_actor", pk = "actor", sk = "at" }]
    }
  }

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
