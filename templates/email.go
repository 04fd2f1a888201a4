package templates

import "embed"

// Email holds the email templates under email/: layout.html frames the
// HTML part of every email, NAME.html holds its "content" block, and
// NAME.txt is the whole plain-text part. Like the pages, they write no
// text a user reads; every string comes from the message catalogue.
//
//go:embed email/*.html email/*.txt
var Email embed.FS
