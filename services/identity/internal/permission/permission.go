// Package permission holds the catalogue of identity permissions and the roles that bundle them.
package permission

import "slices"

// Permission is a named right, "identity:<resource>.<action>".
type Permission string

const (
	OrganizationsRead   Permission = "identity:organizations.read"
	OrganizationsWrite  Permission = "identity:organizations.write"
	OrganizationsDelete Permission = "identity:organizations.delete"
	MembersRead         Permission = "identity:members.read"
	MembersWrite        Permission = "identity:members.write"
	MembersOwners       Permission = "identity:members.owners"
	InstancesRead       Permission = "identity:instances.read"
	InstancesWrite      Permission = "identity:instances.write"
	InstancesDelete     Permission = "identity:instances.delete"
	InstancesTransfer   Permission = "identity:instances.transfer"
	ProductsRead        Permission = "identity:products.read"
	ProductsWrite       Permission = "identity:products.write"
)

// Role is a member's role in an organization.
type Role string

const (
	Owner  Role = "owner"
	Admin  Role = "admin"
	Editor Role = "editor"
	Viewer Role = "viewer"
)

type roleInfo struct {
	description string
	permissions []Permission
}

var viewer = []Permission{OrganizationsRead, MembersRead, InstancesRead, ProductsRead}
var editor = append(slices.Clone(viewer), InstancesWrite, ProductsWrite)
var admin = append(slices.Clone(editor), OrganizationsWrite, MembersWrite, InstancesDelete, InstancesTransfer)
var owner = append(slices.Clone(admin), OrganizationsDelete, MembersOwners)

var catalogue = map[Role]roleInfo{
	Owner:  {"Everything, including deleting the organization and managing owners.", owner},
	Admin:  {"Manages the organization, its members (except owners) and its instances.", admin},
	Editor: {"Creates and renames instances and writes product data.", editor},
	Viewer: {"Reads the organization, its instances and product data.", viewer},
}

// Roles lists the roles from most to least privileged.
func Roles() []Role { return []Role{Owner, Admin, Editor, Viewer} }

// Valid reports whether r is a known role.
func (r Role) Valid() bool { _, ok := catalogue[r]; return ok }

// Description says what the role is for.
func (r Role) Description() string { return catalogue[r].description }

// Permissions returns the role's permissions (a copy).
func (r Role) Permissions() []Permission { return slices.Clone(catalogue[r].permissions) }

// Has reports whether the role grants p.
func (r Role) Has(p Permission) bool { return slices.Contains(catalogue[r].permissions, p) }

// Missing returns the permissions of required that the role lacks, in order.
func (r Role) Missing(required ...Permission) []Permission {
	var missing []Permission
	for _, p := range required {
		if !r.Has(p) {
			missing = append(missing, p)
		}
	}
	return missing
}

// Strings converts permissions to strings.
func Strings(ps []Permission) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = string(p)
	}
	return out
}
