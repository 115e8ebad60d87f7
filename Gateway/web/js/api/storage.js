// The storage services: the user's cloud accounts (/api/cloud) and array members (/api/array).

/** Shortcuts for the cloud service. */
export const cloud = (path) => `/api/cloud${path}`;

/** Shortcuts for the array service. */
export const array = (path) => `/api/array${path}`;
