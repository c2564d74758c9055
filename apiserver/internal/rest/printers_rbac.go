package rest

import (
	"strings"
	"time"
)

// roleColumns are Kubernetes' columns of roles and cluster roles: the creation time as a date.
var roleColumns = []tableColumn{nameCol,
	col("Created At", "date", "CreationTimestamp is a timestamp representing the server time when this object was created."),
}

func roleCells(o obj, _ time.Time) []any {
	return []any{o.str("metadata", "name"), o.str("metadata", "creationTimestamp")}
}

// bindingColumns are Kubernetes' columns of role bindings and cluster role bindings.
var bindingColumns = []tableColumn{nameCol,
	col("Role", "string", "Role indicates the role the binding grants, as <kind>/<name>."),
	ageCol,
	wide("Users", "string", "Users in the binding."),
	wide("Groups", "string", "Groups in the binding."),
	wide("ServiceAccounts", "string", "ServiceAccounts in the binding."),
}

func bindingCells(o obj, now time.Time) []any {
	var users, groups, sas []string
	for _, s := range o.list("subjects") {
		sub := obj(asMap(s))
		switch sub.str("kind") {
		case "User":
			users = append(users, sub.str("name"))
		case "Group":
			groups = append(groups, sub.str("name"))
		case "ServiceAccount":
			name := sub.str("name")
			if ns := sub.str("namespace"); ns != "" {
				name = ns + "/" + name
			}
			sas = append(sas, name)
		}
	}
	ref := o.obj("roleRef")
	return []any{o.str("metadata", "name"), ref.str("kind") + "/" + ref.str("name"), age(o, now),
		strings.Join(users, ", "), strings.Join(groups, ", "), strings.Join(sas, ", ")}
}
