# Partial backend configuration for `terraform init -backend-config=examples/backend-prod.hcl`.
# One state file per environment: use another key (crewbot/dev.tfstate) for dev.
bucket       = "acme-terraform-state-123456789012"
key          = "crewbot/prod.tfstate"
region       = "us-east-1"
encrypt      = true
use_lockfile = true
