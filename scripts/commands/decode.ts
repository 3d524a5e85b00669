export async function run(_argv: string[]): Promise<number> {
  console.error("vvcu decode: not built yet");
  return 1;
}
