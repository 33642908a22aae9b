// What tests script for the next calls: how sign-in goes (consent mode, queued sign-ins) and which
// calls fail with which AADSTS code.

export type ConsentMode = 'auto' | 'interactive';
export type SignInOutcome = 'consent' | 'deny' | { error: string; error_description: string };

export interface ScriptedSignIn {
  /** Who signs in; defaults to the user the tenant and app call for. */
  userOid?: string;
  outcome: SignInOutcome;
}

export interface AuthorizeFailure {
  /** The OAuth `error` sent to the redirect URI. */
  error: string;
  /** AADSTS code from the catalogue; its message becomes `error_description`. */
  aadsts?: number;
  /** Free text used when no code is given. */
  error_description?: string;
}

export class Script {
  consentMode: ConsentMode = 'auto';
  readonly signIns: ScriptedSignIn[] = [];
  readonly authorizeFailures: AuthorizeFailure[] = [];
  readonly tokenFailures: number[] = [];

  clear(): void {
    this.consentMode = 'auto';
    this.signIns.length = 0;
    this.authorizeFailures.length = 0;
    this.tokenFailures.length = 0;
  }
}
