export async function run(_argv: string[]): Promise<number> {
  console.error("vvcu sim: not built yet");
  return 1;
}
