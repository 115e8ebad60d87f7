// Who may do what to a file or folder: the signed-in user owns it, or may change it (grantees see `access`).

/** Whether the signed-in user owns the node (grantees see `access`). */
export const owns = (node) => !node.access;
/** Whether the signed-in user may change the node: their own, or shared with them read-write. */
export const canWrite = (node) => !node.access || node.access === "read-write";
