export async function run(_argv: string[]): Promise<number> {
  console.error("vvcu bridge: not built yet");
  return 1;
}
