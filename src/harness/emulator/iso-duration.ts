// ISO 8601 durations (PT5S, P1DT2H) as Azure APIs write them: Log Analytics timespans, metrics intervals and ARM request settings share this reader.
/** ISO 8601 duration (PnDTnHnMnS) in milliseconds. */
export function parseIsoDuration(text: string): number | undefined {
  const m = /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(text.trim());
  if (!m || text.trim() === 'P' || text.trim().toUpperCase() === 'PT') return undefined;
  const [, d, h, min, s] = m;
  return (Number(d ?? 0) * 86_400 + Number(h ?? 0) * 3600 + Number(min ?? 0) * 60 + Number(s ?? 0)) * 1000;
}
