// A stored expression tree (pg_node_tree: view rules, column defaults, CHECK constraints, partial
// index predicates, partition bounds, policies) keeps each constant as its datum's bytes printed
// as decimal numbers — `:constvalue 13 [ 52 0 0 0 97 98 … ]` — so a literal copied from the data
// (WHERE email = '…') is nowhere on the disk as text, yet anyone can decode it from the catalog.
// The leak scan reads those bytes back as the values they are.

const CONSTANT = /:constvalue (\d+) \[ ((?:-?\d+ )*)\]/g;

/** The bytes of every non-null constant in a pg_node_tree's text form (outfuncs.c's outDatum). */
export function nodeTreeConstants(tree: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const m of tree.matchAll(CONSTANT)) {
    const numbers = m[2]!.trim().split(" ");
    // By-value datums print sizeof(Datum) bytes whatever their length: numbers, no text.
    if (numbers.length !== Number(m[1]) || numbers.length === 0) continue;
    // outDatum prints each byte as a (signed) char.
    out.push(Uint8Array.from(numbers, (n) => Number(n) & 0xff));
  }
  return out;
}
