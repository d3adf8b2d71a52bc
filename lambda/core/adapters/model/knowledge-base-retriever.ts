import {
  RetrieveCommand,
  type BedrockAgentRuntimeClient,
  type RetrievalResultLocation,
} from '@aws-sdk/client-bedrock-agent-runtime';
import { toModelError } from './model-errors';

/** Passages a retrieval returns when the caller asks for no particular number. */
export const DEFAULT_RETRIEVED_PASSAGES = 5;

export interface RetrievedPassage {
  readonly text: string;
  /** Relevance as the knowledge base scored it; higher is closer. */
  readonly score: number | undefined;
  readonly location: PassageLocation;
}

export interface PassageLocation {
  /** The data source type: S3 (the only one managed knowledge bases offer in GovCloud), WEB, ... */
  readonly type: string;
  /** The document's S3 URI, URL or id, when the data source gives one. */
  readonly uri: string | undefined;
}

export interface KnowledgeBaseRetrieverProps {
  readonly client: BedrockAgentRuntimeClient;
  readonly knowledgeBaseId: string;
  /** @default DEFAULT_RETRIEVED_PASSAGES */
  readonly numberOfResults?: number;
}

/** Passages from an Amazon Bedrock knowledge base (Retrieve), for a retrieval tool. */
export class KnowledgeBaseRetriever {
  private readonly client: BedrockAgentRuntimeClient;
  private readonly knowledgeBaseId: string;
  private readonly numberOfResults: number;
  private readonly operation: string;

  constructor(props: KnowledgeBaseRetrieverProps) {
    this.client = props.client;
    this.knowledgeBaseId = props.knowledgeBaseId;
    this.numberOfResults = props.numberOfResults ?? DEFAULT_RETRIEVED_PASSAGES;
    this.operation = `Bedrock knowledge base ${props.knowledgeBaseId} retrieval`;
  }

  /** @throws ModelError when the retrieval fails. Passages without text (images, rows) are left out. */
  async retrieve(query: string, numberOfResults = this.numberOfResults): Promise<RetrievedPassage[]> {
    try {
      const response = await this.client.send(
        new RetrieveCommand({
          knowledgeBaseId: this.knowledgeBaseId,
          retrievalQuery: { text: query },
          retrievalConfiguration: { vectorSearchConfiguration: { numberOfResults } },
        }),
      );
      return (response.retrievalResults ?? []).flatMap((result) =>
        typeof result.content?.text === 'string'
          ? [{ text: result.content.text, score: result.score, location: passageLocation(result.location) }]
          : [],
      );
    } catch (error) {
      throw toModelError(this.operation, error);
    }
  }
}

function passageLocation(location: RetrievalResultLocation | undefined): PassageLocation {
  return {
    type: location?.type ?? 'UNKNOWN',
    uri:
      location?.s3Location?.uri ??
      location?.webLocation?.url ??
      location?.confluenceLocation?.url ??
      location?.salesforceLocation?.url ??
      location?.sharePointLocation?.url ??
      location?.oneDriveLocation?.url ??
      location?.googleDriveLocation?.url ??
      location?.kendraDocumentLocation?.uri ??
      location?.customDocumentLocation?.id,
  };
}
