// snappyjs ships no types; only the two functions we use (snappy block format).
declare module 'snappyjs' {
  export function uncompress<T extends ArrayBuffer | Uint8Array>(compressed: T, maxLength?: number): T
  export function compress<T extends ArrayBuffer | Uint8Array>(uncompressed: T): T
}
