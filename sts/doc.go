// Package sts serves the AWS STS AssumeRole query API on the S3 port and
// owns the rules of temporary and service-account credentials: durations,
// session policies, key and token generation, and the STS XML shapes.
//
// Sessions and service accounts themselves are replicated state in raftfsm;
// this package builds the records (secrets sealed, tokens hashed) and hands
// them to the store through the interfaces in sts.go. See DESIGN.md.
package sts
