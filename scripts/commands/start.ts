export async function run(_argv: string[]): Promise<number> {
  console.error("vvcu start: not built yet");
  return 1;
}
