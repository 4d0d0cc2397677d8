// How far an export is, as one number: the workflow's progress query and the
// API's view (from the rows) both count it this way. Pure: workflows import it.

interface ExportFractions {
  messagesDone: number;
  messagesTotal: number;
  /** 0..1 of the media hashed */
  media: number;
  uploadedBytes: number;
  /** null until the bundle is laid out */
  bundleBytes: number | null;
}

const share = (done: number, total: number): number => (total <= 0 ? 1 : Math.min(1, done / total));

/** Messages weigh 40 %, media 30 %, the upload 30 %. */
export function exportPercent(f: ExportFractions): number {
  const upload = f.bundleBytes ? share(f.uploadedBytes, f.bundleBytes) : 0;
  return Math.floor(100 * (0.4 * share(f.messagesDone, f.messagesTotal) + 0.3 * Math.min(1, f.media) + 0.3 * upload));
}
