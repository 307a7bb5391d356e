output "bucket" {
  description = "Packages bucket name."
  value       = aws_s3_bucket.this.id
}

output "objects" {
  description = "Uploaded packages by key: key and version id (a new version makes Lambda update)."
  value       = { for k, o in aws_s3_object.this : k => { key = o.key, version_id = o.version_id } }
}
