// Package aws scans what is deployed on AWS Lambda: it registers the
// "lambda:" target provider (a function by name, ARN or NAME:ALIAS, its
// code and layers downloaded from the Lambda API, its configuration kept as
// the API returned it in artifact.Target.Deployed, with the execution
// role's policies read from IAM) and runs fleets
// ('lambda:*' across regions, sharded by a stable hash of the ARN) into one
// FleetReport, which Merge joins back from shard reports.
//
// It is the only fnscan package that imports the AWS SDK. It imports
// artifact (the provider), scan (one pipeline run per function) and
// result (the per-function results of a fleet); nothing imports it but
// cmd/fnscan.
//
// Environment variable values are part of the GetFunction response kept in
// Deployed; this package never logs, prints or puts them in an error.
package aws
