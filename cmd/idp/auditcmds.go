package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hotelsoft/idp/login/admin"
	"github.com/hotelsoft/idp/store"
)

func runAuditList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := &config{}
	fs := newFlagSet("audit list", cfg, stderr)
	email := fs.String("user-email", "", "only events about the user with this address")
	event := fs.String("event", "", "only events of this name, such as admin.2fa_reset")
	since := fs.String("since", "", "only events at or after this RFC 3339 time or YYYY-MM-DD")
	if err := parseFlags(fs, cfg, args); err != nil {
		return err
	}
	f := store.AuditFilter{Event: *event}
	if *since != "" {
		t, err := time.Parse(time.RFC3339, *since)
		if err != nil {
			if t, err = time.Parse(time.DateOnly, *since); err != nil {
				return usagef("audit list: --since %q: want an RFC 3339 time or YYYY-MM-DD", *since)
			}
		}
		f.Since = t
	}
	st, svc, err := openAdmin(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	if *email != "" {
		if f.UserID, err = userIDByEmail(ctx, svc, *email); err != nil {
			return err
		}
	}
	events, err := svc.AuditEvents(ctx, admin.OperatorActor(), f)
	if err != nil {
		return cliError("audit list", err)
	}
	out := []admin.AuditJSON{}
	for _, e := range events {
		out = append(out, admin.NewAuditJSON(e))
	}
	if cfg.JSON {
		return writeJSON(stdout, out)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tEVENT\tACTOR\tUSER\tCLIENT\tIP")
	for _, e := range out {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.Time, e.Event, e.ActorID, e.UserID, e.ClientID, e.IP)
	}
	return tw.Flush()
}

func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "list" {
		return usagef("audit: want list")
	}
	return runAuditList(ctx, args[1:], stdout, stderr)
}

func runProperty(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("property: want create, list, add-user or remove-user")
	}
	switch args[0] {
	case "create":
		return runPropertyCreate(ctx, args[1:], stdout, stderr)
	case "list":
		return runPropertyList(ctx, args[1:], stdout, stderr)
	case "add-user":
		return runPropertyAddUser(ctx, args[1:], stdout, stderr)
	case "remove-user":
		return runPropertyRemoveUser(ctx, args[1:], stdout, stderr)
	}
	return usagef("property: unknown subcommand %q; want create, list, add-user or remove-user", args[0])
}

func runPropertyCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := &config{}
	fs := newFlagSet("property create", cfg, stderr)
	id := fs.String("id", "", "stable ID of the property, such as hotel-amsterdam (required)")
	name := fs.String("name", "", "display name (required)")
	if err := parseFlags(fs, cfg, args); err != nil {
		return err
	}
	if *id == "" || *name == "" {
		return usagef("property create: --id and --name are required")
	}
	st, svc, err := openAdmin(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := svc.CreateProperty(ctx, admin.OperatorActor(), store.Property{ID: *id, Name: *name}); err != nil {
		return cliError("property create", err)
	}
	if cfg.JSON {
		return writeJSON(stdout, map[string]string{"property_id": *id})
	}
	fmt.Fprintf(stdout, "created property %s\n", *id)
	return nil
}

func runPropertyList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := &config{}
	if err := parseFlags(newFlagSet("property list", cfg, stderr), cfg, args); err != nil {
		return err
	}
	st, svc, err := openAdmin(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	props, err := svc.Properties(ctx, admin.OperatorActor(), store.PermManageUsers)
	if err != nil {
		return cliError("property list", err)
	}
	type propertyJSON struct {
		PropertyID string `json:"property_id"`
		Name       string `json:"name"`
	}
	out := []propertyJSON{}
	for _, p := range props {
		out = append(out, propertyJSON{PropertyID: p.ID, Name: p.Name})
	}
	if cfg.JSON {
		return writeJSON(stdout, out)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PROPERTY ID\tNAME")
	for _, p := range out {
		fmt.Fprintf(tw, "%s\t%s\n", p.PropertyID, p.Name)
	}
	return tw.Flush()
}

func runPropertyAddUser(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var property *string
	extra := func(fs flagAdder) func() error {
		property = fs.String("property", "", "property ID (required)")
		return func() error {
			if *property == "" {
				return usagef("property add-user: --property is required")
			}
			return nil
		}
	}
	return userAction(ctx, "property add-user", args, stdout, stderr, extra, func(svc *admin.Service, id string) error {
		return svc.AddMember(ctx, admin.OperatorActor(), id, *property)
	}, "added to the property")
}

func runPropertyRemoveUser(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var property *string
	extra := func(fs flagAdder) func() error {
		property = fs.String("property", "", "property ID (required)")
		return func() error {
			if *property == "" {
				return usagef("property remove-user: --property is required")
			}
			return nil
		}
	}
	return userAction(ctx, "property remove-user", args, stdout, stderr, extra, func(svc *admin.Service, id string) error {
		return svc.RemoveMember(ctx, admin.OperatorActor(), id, *property)
	}, "removed from the property")
}

func runClientGrant(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := &config{}
	fs := newFlagSet("client grant", cfg, stderr)
	id := fs.String("client-id", "", "ID of a confidential client (required)")
	var grants stringList
	fs.Var(&grants, "grant", "PERMISSION@PROPERTY the client may use in the admin API, such as manage_users@hotel-amsterdam or view_audit@*; repeatable; the list replaces every grant of the client")
	clearAll := fs.Bool("clear", false, "remove every admin API grant of the client")
	if err := parseFlags(fs, cfg, args); err != nil {
		return err
	}
	if *id == "" {
		return usagef("client grant: --client-id is required")
	}
	// The list replaces the grants, so a forgotten --grant would silently
	// remove them all: that takes an explicit --clear.
	switch {
	case len(grants) == 0 && !*clearAll:
		return usagef("client grant: pass --grant PERMISSION@PROPERTY (the list replaces the client's grants), or --clear to remove every grant")
	case len(grants) > 0 && *clearAll:
		return usagef("client grant: --clear removes every grant and cannot go with --grant")
	}
	var list []store.ClientGrant
	for _, g := range grants {
		perm, prop, ok := strings.Cut(g, "@")
		if !ok || perm == "" || prop == "" {
			return usagef("client grant: --grant %q: want PERMISSION@PROPERTY", g)
		}
		list = append(list, store.ClientGrant{Permission: store.Permission(perm), PropertyID: prop})
	}
	st, svc, err := openAdmin(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := svc.SetClientGrants(ctx, admin.OperatorActor(), *id, list); err != nil {
		return cliError("client grant", err)
	}
	if cfg.JSON {
		out := []map[string]string{}
		for _, g := range list {
			out = append(out, map[string]string{"permission": string(g.Permission), "property_id": g.PropertyID})
		}
		return writeJSON(stdout, map[string]any{"client_id": *id, "grants": out})
	}
	fmt.Fprintf(stdout, "client %s has %d admin API grants\n", *id, len(list))
	return nil
}

func runClientRotate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := &config{}
	fs := newFlagSet("client rotate-secret", cfg, stderr)
	id := fs.String("client-id", "", "ID of a confidential client (required)")
	if err := parseFlags(fs, cfg, args); err != nil {
		return err
	}
	if *id == "" {
		return usagef("client rotate-secret: --client-id is required")
	}
	st, svc, err := openAdmin(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	value, err := svc.RotateSecret(ctx, admin.OperatorActor(), *id)
	if err != nil {
		return cliError("client rotate-secret", err)
	}
	if cfg.JSON {
		return writeJSON(stdout, map[string]string{"client_id": *id, "client_secret": value})
	}
	fmt.Fprintf(stdout, "client_secret: %s\n\nThe secret is shown only now; the old one no longer works.\n", value)
	return nil
}
