export async function supervisorctlMain(_argv: string[]): Promise<number> {
  process.stderr.write('supervisorctl: not yet\n');
  return 2;
}
