// Which key started which ingest job, so a write key may cancel its own jobs and no one else's. Kept in
// memory: jobs do not outlive the process that runs them.
export class JobOwners {
  private readonly owners = new Map<string, string>();

  record(jobId: string, keyName: string): void {
    this.owners.set(jobId, keyName);
  }

  ownedBy(jobId: string, keyName: string): boolean {
    return this.owners.get(jobId) === keyName;
  }
}
