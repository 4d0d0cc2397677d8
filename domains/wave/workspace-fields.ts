// Workspace fields checked before any I/O, by the API and the CLI alike (no
// database client here, so the CLI's definitions stay light to load).

/** Lower-case letters, digits and inner hyphens, 1 to 64 characters: the slug compares byte for byte. */
export const WORKSPACE_SLUG = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
