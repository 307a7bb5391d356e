variable "bucket_name" {
  description = "Name of the packages bucket (<project>-<environment>-packages-<account id>)."
  type        = string
}

variable "kms_key_arn" {
  description = "Deployment key the packages are encrypted with."
  type        = string
}

variable "files" {
  description = "Object key => local file to upload (the zips of `make package`)."
  type        = map(string)
}
