// The file listing's order: a column and a direction (folders always first), remembered in localStorage.

const SORT_KEY = "cloudstrype.sort";
export const COLUMNS = [
  { key: "name", label: "Name" },
  { key: "size", label: "Size" },
  { key: "modified", label: "Modified" },
  { key: "durability", label: "Durability" },
];
// The same orders as a list, for narrow screens (which hide the sortable columns): "key:dir" and a label.
export const SORT_CHOICES = [
  ["name:1", "Name A–Z"], ["name:-1", "Name Z–A"], ["modified:-1", "Newest first"], ["modified:1", "Oldest first"],
  ["size:-1", "Largest first"], ["size:1", "Smallest first"], ["durability:1", "Durability A–Z"], ["durability:-1", "Durability Z–A"],
];

let sort = loadSort();

function loadSort() {
  try {
    const saved = JSON.parse(localStorage.getItem(SORT_KEY) || "null");
    if (saved && COLUMNS.some((c) => c.key === saved.key) && (saved.dir === 1 || saved.dir === -1)) return saved;
  } catch {
    // fall through to the default
  }
  return { key: "name", dir: 1 };
}

/** The order in use: `{key, dir}` (dir 1 ascending, -1 descending). */
export const currentSort = () => sort;

export function saveSort(next) {
  sort = next;
  localStorage.setItem(SORT_KEY, JSON.stringify(sort));
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

export function compare(a, b) {
  if (a.kind !== b.kind) return a.kind === "dir" ? -1 : 1;
  let order = 0;
  if (sort.key === "size") order = a.size - b.size;
  else if (sort.key === "modified") order = new Date(a.modified) - new Date(b.modified);
  else if (sort.key === "durability") order = collator.compare(a.durability || "", b.durability || "");
  return (order || collator.compare(a.name, b.name)) * (order ? sort.dir : sort.key === "name" ? sort.dir : 1);
}
