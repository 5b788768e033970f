/** The package version, recorded in every output's metadata. */
export const VERSION = '0.1.0';
