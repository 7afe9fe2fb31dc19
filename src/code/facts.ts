// Placeholder; replaced by the stream analysis facts.
export interface ModuleFacts {
  text: string;
}
