# Optional AWS WAF in front of the Slack API (waf_rate_limit > 0). API Gateway HTTP APIs cannot be
# associated with a WAFv2 web ACL, so a CloudFront distribution sits in front of the API and carries a
# web ACL of scope CLOUDFRONT (created in us-east-1, as CloudFront requires). Slack and the calendar
# OAuth providers are then given the distribution's URL.
#
# The API's execute-api URL stays reachable. CloudFront adds a header with a random value to every
# request it forwards; the bot function holds the same value (ORIGIN_VERIFY_SECRET) and answers 403 to
# an HTTP request without it (bot/slack/origin.py), so nobody can go around the WAF.

locals {
  waf_enabled = local.has_bot && coalesce(var.waf_rate_limit, 0) > 0

  # The base URL Slack and the OAuth providers call: the distribution (or its custom domain) with the
  # WAF, else the API itself.
  slack_public_url = !local.has_bot ? null : (
    !local.waf_enabled ? aws_apigatewayv2_api.slack[0].api_endpoint :
    "https://${var.waf_domain != null ? var.waf_domain.name : aws_cloudfront_distribution.slack[0].domain_name}"
  )

  # Where the origin-verify value goes: only the bot function answers HTTP requests.
  origin_environment = local.waf_enabled ? { ORIGIN_VERIFY_SECRET = terraform_data.origin_secret[0].output } : {}

  origin_id = "slack-api"
  # The header bot/slack/origin.py HEADER expects.
  origin_header = "x-crewbot-origin-verify"

  # Managed rules whose inspection of the body would refuse ordinary Slack traffic: Slack posts
  # form-encoded and JSON bodies full of what people wrote (code, links, HTML, exploit strings quoted
  # in a security channel) and often larger than 8 KB (modal submissions, long messages, block
  # payloads). A refused event is retried by Slack and then lost, and nobody is told. These rules
  # only count (their metrics show what they would have blocked). Slack's signature, checked before
  # any work, is what authenticates a body. Microsoft's OAuth codes make query strings long.
  count_only_rules = {
    AWSManagedRulesCommonRuleSet = [
      "SizeRestrictions_BODY", "SizeRestrictions_QUERYSTRING", "CrossSiteScripting_BODY", "GenericLFI_BODY",
      "GenericRFI_BODY", "EC2MetaDataSSRF_BODY",
    ]
    AWSManagedRulesKnownBadInputsRuleSet  = ["Log4JRCE_BODY", "JavaDeserializationRCE_BODY"]
    AWSManagedRulesAmazonIpReputationList = []
  }
}

# 64 hex digits from two random (v4) UUIDs, generated once: uuid() changes on every plan, so the
# stored value is kept (ignore_changes). Rotate with `terraform apply -replace='terraform_data.origin_secret[0]'`.
resource "terraform_data" "origin_secret" {
  count = local.waf_enabled ? 1 : 0

  input = sensitive(replace("${uuid()}${uuid()}", "-", ""))

  lifecycle {
    ignore_changes = [input]
  }
}

resource "aws_wafv2_web_acl" "slack" {
  #checkov:skip=CKV2_AWS_31:Per-rule CloudWatch metrics and 3 hours of sampled requests show what is blocked; full logs would need a log group and key in us-east-1 and would hold Slack's signed request headers
  count    = local.waf_enabled ? 1 : 0
  provider = aws.us_east_1

  name        = "${local.name_prefix}-slack"
  description = "In front of the Slack API's CloudFront distribution: rate limit per IP, bot routes only, AWS managed rules."
  scope       = "CLOUDFRONT"

  default_action {
    allow {}
  }

  custom_response_body {
    key          = "rate-limited"
    content      = "Too many requests"
    content_type = "TEXT_PLAIN"
  }

  # Requests per IP per 5 minutes. Slack itself sends from a few addresses, so the limit must stay
  # above the workspace's busiest 5 minutes; what it stops is a flood from one source.
  rule {
    name     = "rate-per-ip"
    priority = 0

    action {
      block {
        custom_response {
          response_code            = 429
          custom_response_body_key = "rate-limited"
        }
      }
    }

    statement {
      rate_based_statement {
        limit                 = var.waf_rate_limit
        aggregate_key_type    = "IP"
        evaluation_window_sec = 300
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${local.name_prefix}-slack-rate-per-ip"
      sampled_requests_enabled   = true
    }
  }

  # Only the paths the bot serves reach the API (CloudFront's behaviours restrict the methods).
  rule {
    name     = "bot-routes-only"
    priority = 1

    action {
      block {}
    }

    statement {
      not_statement {
        statement {
          or_statement {
            statement {
              byte_match_statement {
                search_string         = "/slack/events"
                positional_constraint = "EXACTLY"
                field_to_match {
                  uri_path {}
                }
                text_transformation {
                  priority = 0
                  type     = "NONE"
                }
              }
            }
            statement {
              regex_match_statement {
                regex_string = "^/oauth/[a-z]+/callback$"
                field_to_match {
                  uri_path {}
                }
                text_transformation {
                  priority = 0
                  type     = "NONE"
                }
              }
            }
          }
        }
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${local.name_prefix}-slack-bot-routes-only"
      sampled_requests_enabled   = true
    }
  }

  # Addresses AWS has seen attacking or scanning (Slack's are not among them).
  rule {
    name     = "AWSManagedRulesAmazonIpReputationList"
    priority = 10

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesAmazonIpReputationList"

        dynamic "rule_action_override" {
          for_each = local.count_only_rules["AWSManagedRulesAmazonIpReputationList"]
          content {
            name = rule_action_override.value
            action_to_use {
              count {}
            }
          }
        }
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${local.name_prefix}-slack-AWSManagedRulesAmazonIpReputationList"
      sampled_requests_enabled   = true
    }
  }

  # Exploit patterns in the host, path, query and headers (Log4j, Java deserialisation, localhost host).
  rule {
    name     = "AWSManagedRulesKnownBadInputsRuleSet"
    priority = 11

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesKnownBadInputsRuleSet"

        dynamic "rule_action_override" {
          for_each = local.count_only_rules["AWSManagedRulesKnownBadInputsRuleSet"]
          content {
            name = rule_action_override.value
            action_to_use {
              count {}
            }
          }
        }
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${local.name_prefix}-slack-AWSManagedRulesKnownBadInputsRuleSet"
      sampled_requests_enabled   = true
    }
  }

  # The core rule set on paths, query strings, cookies and headers (bad bots, no user agent, ...).
  rule {
    name     = "AWSManagedRulesCommonRuleSet"
    priority = 12

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesCommonRuleSet"

        dynamic "rule_action_override" {
          for_each = local.count_only_rules["AWSManagedRulesCommonRuleSet"]
          content {
            name = rule_action_override.value
            action_to_use {
              count {}
            }
          }
        }
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${local.name_prefix}-slack-AWSManagedRulesCommonRuleSet"
      sampled_requests_enabled   = true
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = "${local.name_prefix}-slack"
    sampled_requests_enabled   = true
  }
}

# AWS managed policies: no caching; every viewer header, cookie and query string forwarded except Host
# (API Gateway routes on its own host name); security headers on the answers.
data "aws_cloudfront_cache_policy" "disabled" {
  count = local.waf_enabled ? 1 : 0
  name  = "Managed-CachingDisabled"
}

data "aws_cloudfront_origin_request_policy" "all_viewer_except_host" {
  count = local.waf_enabled ? 1 : 0
  name  = "Managed-AllViewerExceptHostHeader"
}

data "aws_cloudfront_response_headers_policy" "security_headers" {
  count = local.waf_enabled ? 1 : 0
  name  = "Managed-SecurityHeadersPolicy"
}

resource "aws_cloudfront_distribution" "slack" {
  #checkov:skip=CKV_AWS_86:Every forwarded request is in the API's access log and the WAF's sampled requests; standard logs would need another bucket with ACLs
  #checkov:skip=CKV_AWS_305:An API, not a website: there is no root object
  #checkov:skip=CKV_AWS_310:One origin (the API in this region); a failover origin would be another deployment
  #checkov:skip=CKV_AWS_374:Slack sends from its own infrastructure, whose countries are not published; the WAF's rules filter instead
  #checkov:skip=CKV_AWS_174:Viewer TLS 1.2 needs a custom domain (waf_domain, TLSv1.2_2021); the *.cloudfront.net certificate's policy is fixed by CloudFront. Slack connects with TLS 1.2 or later
  #checkov:skip=CKV2_AWS_42:A custom certificate comes with waf_domain; without one the distribution uses *.cloudfront.net
  #checkov:skip=CKV2_AWS_47:The web ACL has KnownBadInputs (Log4j); the check also wants AnonymousIpList, whose hosting-provider rule would block Slack (it calls from AWS) and whose VPN rule would block people connecting calendars over a VPN
  count = local.waf_enabled ? 1 : 0

  enabled         = true
  comment         = "${local.name_prefix}: the Slack API behind AWS WAF"
  is_ipv6_enabled = true
  http_version    = "http2and3"
  # North America and Europe edges: the cheapest class; Slack calls from the United States.
  price_class = "PriceClass_100"
  aliases     = var.waf_domain != null ? [var.waf_domain.name] : []
  web_acl_id  = aws_wafv2_web_acl.slack[0].arn

  origin {
    origin_id   = local.origin_id
    domain_name = trimprefix(aws_apigatewayv2_api.slack[0].api_endpoint, "https://")

    custom_header {
      name  = local.origin_header
      value = terraform_data.origin_secret[0].output
    }

    custom_origin_config {
      http_port              = 80
      https_port             = 443
      origin_protocol_policy = "https-only"
      origin_ssl_protocols   = ["TLSv1.2"]
      # Above the integration's 29 s, so API Gateway answers first.
      origin_read_timeout = 30
    }
  }

  # Slack's events, slash commands and interactivity: POST needs CloudFront's full method set; the API
  # has no other route on the path.
  ordered_cache_behavior {
    path_pattern               = "/slack/events"
    target_origin_id           = local.origin_id
    viewer_protocol_policy     = "https-only"
    allowed_methods            = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
    cached_methods             = ["GET", "HEAD"]
    cache_policy_id            = data.aws_cloudfront_cache_policy.disabled[0].id
    origin_request_policy_id   = data.aws_cloudfront_origin_request_policy.all_viewer_except_host[0].id
    response_headers_policy_id = data.aws_cloudfront_response_headers_policy.security_headers[0].id
    compress                   = false
  }

  # The calendar providers' redirects after consent.
  ordered_cache_behavior {
    path_pattern               = "/oauth/*/callback"
    target_origin_id           = local.origin_id
    viewer_protocol_policy     = "https-only"
    allowed_methods            = ["GET", "HEAD"]
    cached_methods             = ["GET", "HEAD"]
    cache_policy_id            = data.aws_cloudfront_cache_policy.disabled[0].id
    origin_request_policy_id   = data.aws_cloudfront_origin_request_policy.all_viewer_except_host[0].id
    response_headers_policy_id = data.aws_cloudfront_response_headers_policy.security_headers[0].id
    compress                   = false
  }

  # Everything else is refused by the web ACL's bot-routes-only rule before it gets here.
  default_cache_behavior {
    target_origin_id           = local.origin_id
    viewer_protocol_policy     = "https-only"
    allowed_methods            = ["GET", "HEAD"]
    cached_methods             = ["GET", "HEAD"]
    cache_policy_id            = data.aws_cloudfront_cache_policy.disabled[0].id
    origin_request_policy_id   = data.aws_cloudfront_origin_request_policy.all_viewer_except_host[0].id
    response_headers_policy_id = data.aws_cloudfront_response_headers_policy.security_headers[0].id
    compress                   = false
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = var.waf_domain == null
    acm_certificate_arn            = try(var.waf_domain.certificate_arn, null)
    ssl_support_method             = var.waf_domain != null ? "sni-only" : null
    minimum_protocol_version       = var.waf_domain != null ? "TLSv1.2_2021" : "TLSv1"
  }
}
